// The SkywayJS tutorial "Building A Simple Peer-to-Peer WebRTC Chat", on skymesh.
//
// The tutorial's code with two changes: the class is Skyway (skymesh's name for
// Skylink), and every text reaches the page through textContent, never innerHTML,
// because names and messages come from other people.
//
// Additions to the tutorial, kept small:
// - "X is now known as Y" when another peer renames (the tutorial only announces
//   your own new name); the page remembers each peer's last name to say it.
// - A rename line only when the name really changed, so a peerUpdated for other
//   userData fields does not repeat it.
// - A status line above the chat for the connection state and for errors.
// - Enter sends (the inputs sit in forms); an empty message is not sent.
// - A "Send file" button (SkylinkJS's sendBlobData, to everyone in the room), a
//   line per transfer under the chat with a progress bar, Accept / Reject for
//   a file offered to you (inline, never a dialog), Cancel while it runs, and a
//   download link once it arrived.
'use strict';

if (typeof Skyway !== 'function') {
  document.getElementById('status').textContent = 'Could not load skymesh (dist/skymesh.js).';
  document.getElementById('status').classList.add('error');
  throw new Error('skymesh: dist/skymesh.js did not load');
}

var skyway = new Skyway();

// peerId -> the name this page last showed for that peer ('' when none).
var knownNames = {};

function nameOf(peerId, peerInfo) {
  var userData = (peerInfo && peerInfo.userData) || {};
  return typeof userData.name === 'string' ? userData.name : '';
}

skyway.on('peerJoined', function (peerId, peerInfo, isSelf) {
  var user = 'You';
  knownNames[peerId] = nameOf(peerId, peerInfo);
  if (!isSelf) {
    user = peerInfo.userData.name || peerId;
  }
  addMessage(user + ' joined the room', 'action');
});

skyway.on('peerUpdated', function (peerId, peerInfo, isSelf) {
  var name = nameOf(peerId, peerInfo);
  var before = knownNames[peerId];
  knownNames[peerId] = name;
  if (before === name) {
    return; // userData changed, the name did not
  }
  // Before the server has given you an id, peerId is null for yourself.
  if (!(name || peerId)) return;
  if (isSelf) {
    addMessage('You\'re now known as ' + (name || peerId), 'action');
  } else {
    addMessage((before || peerId) + ' is now known as ' + (name || peerId), 'action');
  }
});

skyway.on('peerLeft', function (peerId, peerInfo, isSelf) {
  var user = 'You';
  if (!isSelf) {
    user = peerInfo.userData.name || peerId;
  }
  delete knownNames[peerId];
  addMessage(user + ' left the room', 'action');
});

skyway.on('incomingMessage', function (message, peerId, peerInfo, isSelf) {
  var user = 'You';
  var className = 'you';
  if (!isSelf) {
    user = peerInfo.userData.name || peerId;
    className = 'message';
  }
  addMessage(user + ': ' + message.content, className);
});

// Not in the tutorial: connection state and errors, outside the chat.
skyway.on('readyStateChange', function (state, error) {
  if (error) {
    setStatus('Could not connect: ' + describeError(error), true);
  } else if (state === 2 || state === 'completed') {
    setStatus('Ready. Set a name, then join the room.', false);
  }
});
skyway.on('systemAction', function (action, message) {
  setStatus(action + ': ' + describeError(message), true);
});
skyway.on('channelClose', function () {
  setStatus('Disconnected from the signaling server; the chat goes on peer to peer.', true);
});
skyway.on('signalingState', function (state) {
  if (state === 'reconnecting') setStatus('Reconnecting to the signaling server...', true);
  else if (state === 'resumed') setStatus('Reconnected.', false);
  else if (state === 'failed') setStatus('Disconnected from the signaling server.', true);
});
skyway.on('channelError', function (error) {
  setStatus('Signaling error: ' + describeError(error), true);
});
skyway.on('peerJoined', function (peerId, peerInfo, isSelf) {
  if (isSelf) setStatus('In the room.', false);
});
skyway.on('peerLeft', function (peerId, peerInfo, isSelf) {
  if (isSelf) setStatus('Not in a room.', false);
});

function setName() {
  var input = document.getElementById('name');
  skyway.setUserData({
    name: input.value
  });
}

function joinRoom() {
  skyway.joinRoom(function (error) {
    if (error) setStatus('Could not join: ' + describeError(error), true);
  });
}

function leaveRoom() {
  skyway.leaveRoom();
}

function sendMessage() {
  var input = document.getElementById('message');
  if (input.value === '') return;
  skyway.sendP2PMessage(input.value);
  input.value = '';
}

function addMessage(message, className) {
  var chatbox = document.getElementById('chatbox');
  var line = document.createElement('p');
  line.className = className;
  line.textContent = message;
  chatbox.appendChild(line);
  chatbox.scrollTop = chatbox.scrollHeight;
}

function setStatus(text, isError) {
  var status = document.getElementById('status');
  status.textContent = text;
  status.classList.toggle('error', !!isError);
}

function describeError(error) {
  if (error == null) return 'unknown error';
  if (typeof error === 'string') return error;
  if (error instanceof Error) return error.message;
  var parts = [error.content, error.message, error.code, error.errorCode, error.reason];
  for (var i = 0; i < parts.length; i++) {
    if (parts[i] != null && typeof parts[i] !== 'object') return String(parts[i]);
  }
  try { return JSON.stringify(error); } catch (e) { return String(error); }
}

// A method called at the wrong time throws; show it instead of losing it.
function guarded(fn) {
  return function (event) {
    if (event) event.preventDefault();
    try {
      fn();
    } catch (error) {
      setStatus(describeError(error), true);
    }
  };
}

// Not in the tutorial: files. One line per transfer and peer, keyed by both.
var transferLines = {};

function transferLine(transferId, peerId, text) {
  var key = transferId + ' ' + peerId;
  var line = transferLines[key];
  if (!line) {
    line = transferLines[key] = {el: document.createElement('div'), label: document.createElement('span'),
      bar: document.createElement('progress'), actions: document.createElement('span')};
    line.el.className = 'transfer';
    line.label.className = 'transfer-label';
    line.actions.className = 'transfer-actions';
    line.bar.max = 100;
    line.bar.value = 0;
    line.el.appendChild(line.label);
    line.el.appendChild(line.bar);
    line.el.appendChild(line.actions);
    document.getElementById('transfers').appendChild(line.el);
  }
  if (text) line.label.textContent = text;
  return line;
}

function transferButton(line, text, onClick, secondary) {
  var button = document.createElement('button');
  button.type = 'button';
  button.textContent = text;
  if (secondary) button.className = 'secondary';
  button.addEventListener('click', guarded(onClick));
  line.actions.appendChild(button);
}

function clearActions(line) {
  while (line.actions.firstChild) line.actions.removeChild(line.actions.firstChild);
}

function peerName(peerId) {
  return knownNames[peerId] || peerId;
}

function fileLabel(info) {
  return (info.name || 'a file') + ' (' + info.size + ' bytes)';
}

skyway.on('incomingDataRequest', function (transferId, peerId, info, isSelf) {
  if (isSelf) return; // each receiving peer gets its own line (userRequest)
  var line = transferLine(transferId, peerId, peerName(peerId) + ' offers ' + fileLabel(info));
  transferButton(line, 'Accept', function () { skyway.acceptDataTransfer(peerId, transferId, true); });
  transferButton(line, 'Reject', function () { skyway.acceptDataTransfer(peerId, transferId, false); }, true);
});

skyway.on('dataTransferState', function (state, transferId, peerId, info, error) {
  var line = transferLine(transferId, peerId, null);
  line.bar.value = info.percentage;
  var to = ' to ' + peerName(peerId), from = ' from ' + peerName(peerId);
  var S = skyway.DATA_TRANSFER_STATE;
  if (state === S.USER_UPLOAD_REQUEST) {
    line.label.textContent = 'Offering ' + fileLabel(info) + to + '…';
  } else if (state === S.UPLOAD_STARTED || state === S.DOWNLOAD_STARTED) {
    line.label.textContent = (state === S.UPLOAD_STARTED ? 'Sending ' : 'Receiving ') + fileLabel(info) +
      (state === S.UPLOAD_STARTED ? to : from);
    clearActions(line);
    transferButton(line, 'Cancel', function () { skyway.cancelDataTransfer(peerId, transferId); }, true);
  } else if (state === S.UPLOAD_COMPLETED) {
    line.label.textContent = 'Sent ' + fileLabel(info) + to;
    clearActions(line);
  } else if (state === S.DOWNLOAD_COMPLETED) {
    line.label.textContent = 'Received ' + fileLabel(info) + from;
    clearActions(line);
    var link = document.createElement('a');
    link.href = URL.createObjectURL(info.data);
    link.download = info.name || 'file';
    link.textContent = 'Download';
    line.actions.appendChild(link);
  } else if (state === S.REJECTED || state === S.USER_REJECTED || state === S.CANCEL || state === S.ERROR ||
             state === S.START_ERROR) {
    var what = {rejected: 'Rejected by ' + peerName(peerId), userRejected: 'You rejected it',
      cancel: 'Cancelled', error: 'Failed', startError: 'Could not start'}[state];
    line.label.textContent = fileLabel(info) + ': ' + what + (error ? ' (' + describeError(error) + ')' : '');
    line.el.classList.add('failed');
    clearActions(line);
  }
});

function sendFile() {
  var input = document.getElementById('file');
  var file = input.files && input.files[0];
  if (!file) return;
  skyway.sendBlobData(file);
  input.value = ''; // the same file may be sent again
}

document.getElementById('send-file').addEventListener('click', guarded(function () {
  document.getElementById('file').click();
}));
document.getElementById('file').addEventListener('change', guarded(sendFile));

document.getElementById('name-form').addEventListener('submit', guarded(setName));
document.getElementById('join-room').addEventListener('click', guarded(joinRoom));
document.getElementById('leave-room').addEventListener('click', guarded(leaveRoom));
document.getElementById('message-form').addEventListener('submit', guarded(sendMessage));

// Any app key works on a server without configured keys (the default); the
// signaling server is this page's own origin.
skyway.init('skymesh-demo');
