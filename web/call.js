// A video call on skymesh's SkylinkJS 0.6 media API: camera and microphone on
// joining, mute buttons, screen sharing, a tile per stream with the person's
// name. Texts reach the page through textContent only (names come from others).
'use strict';

var statusEl = document.getElementById('status');
function setStatus(text, isError) {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', !!isError);
}

if (typeof Skyway !== 'function') {
  setStatus('Could not load skymesh (dist/skymesh.js).', true);
  throw new Error('skymesh: dist/skymesh.js did not load');
}

var room = new URLSearchParams(location.search).get('room') || 'call';
var skyway = new Skyway();
var tiles = document.getElementById('tiles');
var audioButton = document.getElementById('toggle-audio');
var videoButton = document.getElementById('toggle-video');
var screenButton = document.getElementById('toggle-screen');

function nameOf(peerId, peerInfo, isSelf) {
  var data = peerInfo && peerInfo.userData;
  var name = data && typeof data.name == 'string' && data.name ? data.name : peerId;
  return isSelf ? name + ' (you)' : name;
}

function caption(peerId, peerInfo, isSelf, isScreen) {
  var text = nameOf(peerId, peerInfo, isSelf) + (isScreen ? ' – screen' : '');
  var status = peerInfo && peerInfo.mediaStatus;
  if (!isScreen && status && status.audioMuted) text += ' · mic off';
  if (!isScreen && status && status.videoMuted) text += ' · camera off';
  return text;
}

// One tile a stream: data-peer names the person, data-stream the stream.
function tileFor(streamId) {
  return tiles.querySelector('figure[data-stream="' + CSS.escape(streamId) + '"]');
}

skyway.on('incomingStream', function(peerId, stream, isSelf, peerInfo, isScreen, streamId) {
  var tile = tileFor(streamId);
  if (!tile) {
    tile = document.createElement('figure');
    tile.className = 'tile' + (isScreen ? ' screen' : '') + (isSelf ? ' self' : '');
    tile.dataset.peer = peerId;
    tile.dataset.stream = streamId;
    var video = document.createElement('video');
    video.playsInline = true;
    video.muted = isSelf; // never play yourself back
    tile.appendChild(video);
    tile.appendChild(document.createElement('figcaption'));
    tiles.appendChild(tile);
  }
  attachMediaStream(tile.querySelector('video'), stream);
  tile.querySelector('figcaption').textContent = caption(peerId, peerInfo, isSelf, isScreen);
});

skyway.on('streamEnded', function(peerId, peerInfo, isSelf, isScreen, streamId) {
  var tile = tileFor(streamId);
  if (tile) tile.remove();
  if (isSelf && isScreen) { // stopped here, or by the browser's own "stop sharing"
    screenButton.setAttribute('aria-pressed', 'false');
    screenButton.textContent = 'Share screen';
  }
});

// Mute states and names: every caption of that person.
skyway.on('peerUpdated', function(peerId, peerInfo, isSelf) {
  tiles.querySelectorAll('figure[data-peer="' + CSS.escape(peerId || '') + '"]').forEach(function(tile) {
    tile.querySelector('figcaption').textContent = caption(peerId, peerInfo, isSelf, tile.classList.contains('screen'));
  });
});

skyway.on('peerLeft', function(peerId, peerInfo, isSelf) {
  if (isSelf) {
    tiles.textContent = '';
    setStatus('You left the call.');
    return;
  }
  tiles.querySelectorAll('figure[data-peer="' + CSS.escape(peerId) + '"]').forEach(function(t) { t.remove(); });
});

skyway.on('mediaAccessError', function(error, isScreen) {
  setStatus((isScreen ? 'Screen sharing' : 'Camera / microphone') + ' refused: ' + (error && error.message || error), true);
});

function joinCall(event) {
  event.preventDefault();
  var name = document.getElementById('name').value.trim();
  setStatus('Joining…');
  skyway.joinRoom(room, {userData: {name: name}, audio: true, video: {resolution: {width: 320, height: 240}}},
    function(error) {
      if (error) return setStatus('Could not join: ' + (error.message || error), true);
      setStatus('In the call "' + room + '".');
    });
}

function toggle(button, pressedText, releasedText, onPress, onRelease) {
  button.addEventListener('click', function() {
    var pressed = button.getAttribute('aria-pressed') != 'true';
    button.setAttribute('aria-pressed', String(pressed));
    button.textContent = pressed ? pressedText : releasedText;
    (pressed ? onPress : onRelease)();
  });
}

toggle(audioButton, 'Unmute mic', 'Mute mic', function() { skyway.muteStream({audioMuted: true}); },
  function() { skyway.muteStream({audioMuted: false}); });
toggle(videoButton, 'Camera on', 'Camera off', function() { skyway.muteStream({videoMuted: true}); },
  function() { skyway.muteStream({videoMuted: false}); });
toggle(screenButton, 'Stop sharing', 'Share screen', function() {
  skyway.shareScreen(false, function(error) { if (error) screenButton.setAttribute('aria-pressed', 'false'); });
}, function() { skyway.stopScreen(); });

document.getElementById('name-form').addEventListener('submit', joinCall);
document.getElementById('leave-call').addEventListener('click', function() { skyway.leaveRoom(); });

skyway.init({appKey: 'skymesh-call', defaultRoom: room, audioFallback: true}, function(error) {
  setStatus(error ? 'Could not reach the server.' : 'Ready: type your name and join.', !!error);
});
