// TypeScript declarations for skymesh: peer-to-peer WebRTC rooms and chat with
// the SkywayJS API (docs/api.md is the reference).
//
// One file for every way of loading the module:
//   <script src=".../dist/skymesh.js">       the globals `Skyway` and `Skylink` (declared below)
//   import Skyway from 'skymesh'              ES module (also `import { Skyway }`, `import { Skylink }`)
//   const Skyway = require('skymesh')         CommonJS (also `.Skyway`, `.Skylink`)
// `Skylink` (SkylinkJS 0.6's name) is the same class as `Skyway`.
// The chat build (dist/skymesh-chat.js, 'skymesh/chat') is the same class without
// data transfers and media: sendBlobData, sendURLData, acceptDataTransfer,
// respondBlobRequest, cancelDataTransfer, getCurrentDataTransfers, the
// DATA_TRANSFER_* constants, getUserMedia, sendStream, shareScreen, stopScreen,
// stopStream, muteStream, enable/disableAudio, enable/disableVideo,
// getPeersStream and attachMediaStream are absent there (docs/embedding.md).
//
// Callbacks follow SkywayJS: `(error, success)`, exactly one of them non-null.

/** Any JSON value: what userData and message content may hold. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A peer's user data: whatever it passed to setUserData, `{}` when it never did. */
export interface UserData {
  /** The tutorial's page shows `peerInfo.userData.name || peerId`. */
  name?: string;
  [key: string]: any;
}

/** What the room knows about a peer (SkywayJS's peerInfo shape). */
export interface PeerInfo {
  /** Never undefined: `{}` for a peer that never set any. Any JSON value setUserData was given. */
  userData: UserData | any;
  /** The room the peer is in; null when not in one. */
  room: string | null;
  agent: { name: string; version: string };
  /** What the peer sends: audio, and video (false, or {screenshare}: a screen is among it). */
  settings: { data: boolean; audio: boolean; video: boolean | { screenshare: boolean } };
  /** Muted, or no track of that kind sent. */
  mediaStatus: { audioMuted: boolean; videoMuted: boolean };
}

/** The `message` argument of `incomingMessage`. */
export interface IncomingMessage {
  /**
   * What the sender passed to sendP2PMessage / sendMessage (any JSON value), or,
   * when `isBinary`, its bytes as an ArrayBuffer (browsers and node alike; in node,
   * `Buffer.from(content)` wraps it without a copy).
   */
  content: any;
  /** The sender's peer id, stamped by the server (never trusted from a client). */
  senderPeerId: string;
  /** Your id for a private message, null for a message to the room. */
  targetPeerId: string | null;
  /** True when sent to chosen peers only. */
  isPrivate: boolean;
  /** True: came over the data channel (sendP2PMessage); false: through the server (sendMessage). */
  isDataChannel: boolean;
  /** True when the content is binary (an ArrayBuffer): sendP2PMessage was given bytes. */
  isBinary: boolean;
}
/** Alias, for code written against the older name. */
export type Message = IncomingMessage;

/** An error passed to a callback or an event: a stable `code` and readable `message`. */
export interface SkywayErrorInfo {
  /** e.g. "room_locked", "room_full", "bad_room_name", "bad_app_key", "socket_error", "not_in_room". */
  code: string;
  message: string;
}

/** An error thrown by a method called at the wrong time or with bad arguments. */
export interface SkywayError extends Error {
  /** "invalid_argument", "wrong_state", "out_of_memory", "too_large", "queue_full", "unknown_peer", "not_initialised", ... */
  code: string;
}

/** The object accepted by `init` (a string is the app key alone). */
export interface InitOptions {
  /** The application key (required, here or as apiKey). */
  appKey?: string;
  /** Alias of appKey. */
  apiKey?: string;
  /** The room `joinRoom()` joins when given none. Default: the app key, as in SkywayJS. */
  defaultRoom?: string;
  /**
   * The signaling server's base URL: `http://host:port/`, `https://host/`, or the
   * `ws://` / `wss://` forms; the socket is `<base>signaling`. Default: the page's
   * own origin (required in node). A list names several servers that share rooms
   * (`skymesh-server --redis`): the first is used first, and each reconnection
   * moves on to the next one, round the list.
   */
  roomServer?: string | string[];
  /** STUN / TURN servers for every peer connection, merged with the server's own (TURN REST credentials). */
  iceServers?: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  /** SkylinkJS: use TURN servers (default true). */
  enableTURNServer?: boolean;
  /** SkylinkJS: use STUN servers (default true). */
  enableSTUNServer?: boolean;
  /** SkylinkJS: relay-only connections from the start. */
  forceTURN?: boolean;
  /** SkylinkJS: "any" (default), "udp", "tcp", "none" (strip ?transport), "all" (both). */
  TURNServerTransport?: 'any' | 'udp' | 'tcp' | 'none' | 'all';
  /** SkylinkJS: which candidate types may be used (default all true), local and remote. */
  filterCandidatesType?: { host?: boolean; srflx?: boolean; relay?: boolean };
  /** SkylinkJS: replaces the server's ICE servers (the app's iceServers stay). */
  iceServer?: { urls: string | string[]; username?: string; credential?: string } |
    Array<{ urls: string | string[]; username?: string; credential?: string }>;
  /**
   * SkylinkJS credentials for an app key with a secret (made on the app's own
   * server, never in the browser); needs defaultRoom, the room they were made for.
   */
  credentials?: { startDateTime: string; duration: number; credentials: string };
  /** SkylinkJS: when camera and microphone are refused, try the microphone alone. */
  audioFallback?: boolean;
}

/** SkylinkJS's media options (getUserMedia, sendStream, joinRoom). */
export interface MediaOptions {
  audio?: boolean | { deviceId?: string };
  video?: boolean | { resolution?: { width: number; height: number }; frameRate?: number; deviceId?: string;
    facingMode?: string };
}
export type StreamCallback = (error: Error | null, stream: MediaStream | null) => void;

/** Options of `new Skyway(options)`. */
export interface SkywayOptions {
  /** A WebSocket constructor. Default: globalThis.WebSocket (in node: pass `require('ws')`). */
  WebSocket?: any;
  /** An RTCPeerConnection constructor. Default: globalThis.RTCPeerConnection (in node: node-datachannel's polyfill or @roamhq/wrtc). */
  RTCPeerConnection?: any;
  /** Where `skymesh.wasm` is. Default: next to the script. */
  locateFile?: (path: string, prefix: string) => string;
  /** The `.wasm` bytes, instead of fetching them. */
  wasmBinary?: ArrayBuffer | Uint8Array;
}

/** Options of `joinRoom`. */
export interface JoinRoomOptions extends MediaOptions {
  /** Sets your user data (as setUserData) before joining. */
  userData?: any;
}

export type InitCallback = (error: SkywayErrorInfo | SkywayError | null, success: { serverUrl: string } | null) => void;
export type JoinCallback = (error: SkywayErrorInfo | SkywayError | null,
  success: { room: string; peerId: string; peerInfo: PeerInfo } | null) => void;
export type LeaveCallback = (error: SkywayErrorInfo | SkywayError | null,
  success: { peerId: string; previousRoom: string } | null) => void;

/** Every event and its listener's arguments. */
export interface SkywayEvents {
  /** Readiness (Skyway#READY_STATE_CHANGE: INIT 0, LOADING 1, COMPLETED 2, ERROR -1); `error` is set with ERROR. */
  readyStateChange: (state: number, error: SkywayErrorInfo | null) => void;
  /** A peer entered the room; fired for yourself too (isSelf) when you join. */
  peerJoined: (peerId: string, peerInfo: PeerInfo, isSelf: boolean) => void;
  /**
   * A peer's user data changed. Fired for yourself on every setUserData, before
   * joining too; `peerId` is null for yourself until the server has given you an id.
   */
  peerUpdated: (peerId: string | null, peerInfo: PeerInfo, isSelf: boolean) => void;
  /** A peer left or vanished; when you leave, fired for every peer still there, then for yourself. */
  peerLeft: (peerId: string, peerInfo: PeerInfo, isSelf: boolean) => void;
  /** A message; your own sends come back with isSelf true. */
  incomingMessage: (message: IncomingMessage, peerId: string, peerInfo: PeerInfo, isSelf: boolean) => void;
  /** The room was locked or unlocked by `peerId`. */
  roomLock: (isLocked: boolean, peerId: string | null, peerInfo: PeerInfo | null, isSelf: boolean) => void;
  /** The data channel to a peer changed state (Skyway#DATA_CHANNEL_STATE). */
  dataChannelState: (state: string, peerId: string) => void;
  /** The peer connection's signaling state ("stable", "have-local-offer", "have-remote-offer", "closed"). */
  peerConnectionState: (state: string, peerId: string) => void;
  /** The peer connection's ICE state ("checking", "connected", "completed", "failed", "disconnected", "closed"). */
  iceConnectionState: (state: string, peerId: string) => void;
  /** Negotiation with a peer advanced (Skyway#HANDSHAKE_PROGRESS). */
  handshakeProgress: (step: string, peerId: string) => void;
  /**
   * The server acted on you (Skyway#SYSTEM_ACTION): "reject" (a join refused: room
   * locked or full) or "warning" (a request failed; `error` names it and echoes its ref).
   */
  systemAction: (action: string, message: string,
    error?: { code: string; ref?: string; peerId?: string; frames?: number }) => void;
  /** The signaling socket opened (also after each reconnection). */
  channelOpen: () => void;
  /** The signaling socket closed; skymesh reconnects by itself (see signalingState). */
  channelClose: () => void;
  /** A reconnection attempt starts (SkylinkJS's shape; fallbackType is "nonfallback"). */
  channelRetry: (fallbackType: string, attempt: number) => void;
  /**
   * The signaling session (Skyway#SIGNALING_STATE): "connected", "reconnecting",
   * "resumed" (same peer id, same room), "restarted" (the server could not resume
   * the session: a new peer id), "failed" (no more retries).
   */
  signalingState: (state: string) => void;
  /** A connection to a peer is being restarted (ICE restart, or a fresh connection). */
  peerRestart: (peerId: string, peerInfo: PeerInfo, isSelfInitiateRestart: boolean, isIceRestart: boolean) => void;
  /** The signaling socket failed. */
  channelError: (error: SkywayErrorInfo) => void;
  /** A data transfer was offered: to you (isSelf false, answer with acceptDataTransfer) or by you. */
  incomingDataRequest: (transferId: string, peerId: string, transferInfo: TransferInfo, isSelf: boolean) => void;
  /** A data transfer completed: a Buffer (node) or Blob, or a data URL string for sendURLData. */
  incomingData: (data: any, transferId: string, peerId: string, transferInfo: TransferInfo, isSelf: boolean) => void;
  /** A data transfer with one peer changed state (Skyway#DATA_TRANSFER_STATE). */
  dataTransferState: (state: DataTransferState, transferId: string, peerId: string, transferInfo: TransferInfo,
    error: TransferError | null) => void;
  /** Camera / microphone (or the screen) granted; the stream is being sent. */
  mediaAccessSuccess: (stream: MediaStream, isScreensharing: boolean, isAudioFallback: boolean, streamId: string) => void;
  mediaAccessError: (error: Error, isScreensharing: boolean, isAudioFallbackError: boolean) => void;
  /** A local stream was stopped (stopStream, stopScreen, leaveRoom, or the browser ended it). */
  mediaAccessStopped: (isScreensharing: boolean, isAudioFallback: boolean, streamId: string) => void;
  /** A stream arrived, once per stream (isSelf: your own, once you are in a room). */
  incomingStream: (peerId: string, stream: MediaStream, isSelf: boolean, peerInfo: PeerInfo,
    isScreensharing: boolean, streamId: string) => void;
  /** A stream ended, once. */
  streamEnded: (peerId: string, peerInfo: PeerInfo, isSelf: boolean, isScreensharing: boolean, streamId: string) => void;
  /** A peer's (or your) mediaStatus changed. */
  streamMuted: (peerId: string, peerInfo: PeerInfo, isSelf: boolean, isScreensharing: boolean) => void;
}

export type DataTransferState = 'request' | 'userRequest' | 'uploadStarted' | 'downloadStarted' | 'uploading' |
  'downloading' | 'uploadCompleted' | 'downloadCompleted' | 'rejected' | 'userRejected' | 'cancel' | 'error' |
  'startError';

/** transferInfo of the data-transfer events (docs/api.md, "Data transfers"). */
export interface TransferInfo {
  name: string;
  size: number;
  dataType: 'blob' | 'dataURL';
  mimeType: string;
  /** 0..100 */
  percentage: number;
  /** seconds without progress before the transfer fails */
  timeout: number;
  isPrivate: boolean;
  /** bytes of data per frame */
  chunkSize: number;
  direction: 'upload' | 'download';
  /** downloadCompleted / incomingData only */
  data?: any;
}

export interface TransferError { code: string; message: string; transferType: 'upload' | 'download' }

export type TransferCallback = (error: (SkywayError & { transferId?: string; listOfPeers?: string[];
  transferErrors?: { [peerId: string]: { state: string; code: string; message: string } } }) | null,
  success: { transferId: string; listOfPeers: string[]; transferInfo: TransferInfo } | null) => void;

export type SkywayEventName = keyof SkywayEvents;

export interface CandidateInfo { candidateType: string; protocol: string; address: string | null; port: number | null }
export interface ConnectionStatus {
  listOfPeers: string[];
  connectionStats: { [peerId: string]: {
    connectionState: string | null;
    iceConnectionState: string | null;
    selectedCandidate: { local: CandidateInfo | null; remote: CandidateInfo | null } | null;
  } | null };
}

export declare class Skyway {
  /** Starts loading the WebAssembly module; methods called before it has loaded wait for it. */
  constructor(options?: SkywayOptions);

  /** Resolves once the WebAssembly module has loaded. */
  readonly ready: Promise<Skyway>;

  readonly READY_STATE_CHANGE: { readonly INIT: 0; readonly LOADING: 1; readonly COMPLETED: 2; readonly ERROR: -1 };
  readonly DATA_CHANNEL_STATE: {
    readonly CONNECTING: 'connecting'; readonly OPEN: 'open'; readonly CLOSING: 'closing';
    readonly CLOSED: 'closed'; readonly ERROR: 'error';
  };
  readonly HANDSHAKE_PROGRESS: {
    readonly ENTER: 'enter'; readonly WELCOME: 'welcome'; readonly OFFER: 'offer';
    readonly ANSWER: 'answer'; readonly ERROR: 'error';
  };
  readonly SYSTEM_ACTION: { readonly WARNING: 'warning'; readonly REJECT: 'reject' };

  /**
   * Connects to the signaling server with an app key, or with options. Throws a
   * TypeError without an app key, or without roomServer outside a web page.
   */
  init(apiKey: string, callback?: InitCallback): void;
  init(options: InitOptions, callback?: InitCallback): void;

  /** Replaces your user data (any JSON value); reaches every peer in the room; fires peerUpdated. */
  setUserData(data: any): void;
  /** Your current user data (`{}` when never set). */
  getUserData(): any;

  /**
   * Joins `room` (default: init's defaultRoom); leaves the current room first.
   * Needs init() first (else throws, or passes the error to the callback); called
   * before init has finished or the module has loaded, it waits and then joins.
   */
  joinRoom(callback?: JoinCallback): void;
  joinRoom(room: string, callback?: JoinCallback): void;
  joinRoom(options: JoinRoomOptions, callback?: JoinCallback): void;
  joinRoom(room: string, options: JoinRoomOptions, callback?: JoinCallback): void;

  /** Leaves the room: peerLeft for every peer still there, then for yourself. */
  leaveRoom(callback?: LeaveCallback): void;
  /** stopMediaOptions: which of your streams leaving stops (default: both, as SkylinkJS). */
  leaveRoom(stopMediaOptions: boolean | { userMedia?: boolean; screenshare?: boolean }, callback?: LeaveCallback): void;

  /** Sends over the data channels to the room, or privately to one or more peers. Throws when not in a room. */
  /**
   * Any JSON value, or binary content (ArrayBuffer, a typed array, DataView, node
   * Buffer; up to 256 KiB), delivered as an ArrayBuffer with `isBinary` true.
   */
  sendP2PMessage(message: any | ArrayBuffer | ArrayBufferView, targetPeerId?: string | string[]): void;
  /** Sends through the signaling server to the room, or privately to one peer. Throws when not in a room. */
  sendMessage(message: any, targetPeerId?: string): void;

  readonly DATA_TRANSFER_STATE: {
    readonly UPLOAD_REQUEST: 'request'; readonly USER_UPLOAD_REQUEST: 'userRequest';
    readonly UPLOAD_STARTED: 'uploadStarted'; readonly DOWNLOAD_STARTED: 'downloadStarted';
    readonly UPLOADING: 'uploading'; readonly DOWNLOADING: 'downloading';
    readonly UPLOAD_COMPLETED: 'uploadCompleted'; readonly DOWNLOAD_COMPLETED: 'downloadCompleted';
    readonly REJECTED: 'rejected'; readonly USER_REJECTED: 'userRejected'; readonly CANCEL: 'cancel';
    readonly ERROR: 'error'; readonly START_ERROR: 'startError';
  };
  static readonly DATA_TRANSFER_STATE: Skyway['DATA_TRANSFER_STATE'];
  readonly DATA_TRANSFER_DATA_TYPE: {
    readonly BINARY_STRING: 'binaryString'; readonly ARRAY_BUFFER: 'arrayBuffer'; readonly BLOB: 'blob';
    readonly DATA_URL: 'dataURL';
  };
  static readonly DATA_TRANSFER_DATA_TYPE: Skyway['DATA_TRANSFER_DATA_TYPE'];
  /**
   * Offers a Blob / File (or, in node, a Buffer, typed array or ArrayBuffer) to one peer, several,
   * or everyone; each accepts or rejects. Optional arguments in any order, told apart by type:
   * timeout (seconds, default 60), target(s), sendChunksAsBinary (always binary here), callback.
   */
  sendBlobData(data: Blob | ArrayBuffer | ArrayBufferView, timeout?: number | string | string[] | boolean | TransferCallback,
    targetPeerId?: string | string[] | boolean | TransferCallback, sendChunksAsBinary?: boolean | TransferCallback,
    callback?: TransferCallback): void;
  /** Sends a data: URL; the receiver gets the same URL back (base64). */
  sendURLData(dataURL: string, timeout?: number | string | string[] | TransferCallback,
    targetPeerId?: string | string[] | TransferCallback, callback?: TransferCallback): void;
  /** Answers an incomingDataRequest. Throws invalid_argument when no such request waits. */
  acceptDataTransfer(peerId: string, transferId: string, accept?: boolean): void;
  /** SkylinkJS's older name of acceptDataTransfer. */
  respondBlobRequest(peerId: string, transferId: string, accept?: boolean): void;
  /** Stops an upload to, or a download from, that peer; both sides hear `cancel`. */
  cancelDataTransfer(peerId: string, transferId: string): void;
  /** The transfers under way: {transferId: {transferInfo, isSelf, peerId (the sender)}}. */
  getCurrentDataTransfers(): { [transferId: string]: { transferInfo: TransferInfo; isSelf: boolean; peerId: string } };

  /** A peer's info, or your own without an argument; null when unknown. */
  getPeerInfo(peerId?: string): PeerInfo | null;
  /** Everyone in the room, you included: {peerId: peerInfo}. */
  getPeersInRoom(): { [peerId: string]: PeerInfo };

  /**
   * Restarts the connection with a peer, some peers or everyone: an ICE restart on
   * the same connection (the data channel and its queued messages survive) when
   * iceRestart is true (the default), else a fresh connection.
   */
  refreshConnection(target?: string | string[] | null, iceRestart?: boolean,
    callback?: (error: Error | null, success: { listOfPeers: string[] } | null) => void): void;

  /**
   * Each connection's state and its selected candidate pair: which path is in use
   * (candidateType "host", "srflx", "prflx" or "relay" on each side).
   */
  getConnectionStatus(target?: string | string[] | null,
    callback?: (error: Error | null, result: ConnectionStatus | null) => void): Promise<ConnectionStatus>;

  /** Camera and microphone (default both); sent to the room, now and to whoever joins. Also a Promise. */
  getUserMedia(options?: MediaOptions | null, callback?: StreamCallback): Promise<MediaStream | undefined>;
  getUserMedia(callback: StreamCallback): Promise<MediaStream | undefined>;
  /** Sends a MediaStream you made, or gets one with these options (as getUserMedia). */
  sendStream(stream: MediaStream | MediaOptions, callback?: StreamCallback): void;
  /** Stops sending your camera / microphone and stops their tracks. */
  stopStream(): void;
  /** Mutes (true) or unmutes (false) what you send; an absent field stays as it is. */
  muteStream(options: { audioMuted?: boolean; videoMuted?: boolean }): void;
  /** @deprecated muteStream({audioMuted: false}) */
  enableAudio(): void;
  /** @deprecated muteStream({audioMuted: true}) */
  disableAudio(): void;
  /** @deprecated muteStream({videoMuted: false}) */
  enableVideo(): void;
  /** @deprecated muteStream({videoMuted: true}) */
  disableVideo(): void;
  /** Shares your screen (getDisplayMedia) as a second stream. */
  shareScreen(enableAudio?: boolean, callback?: StreamCallback): Promise<MediaStream | undefined>;
  shareScreen(callback: StreamCallback): Promise<MediaStream | undefined>;
  stopScreen(): void;
  /** {peerId: MediaStream} of everyone sending (camera before screen), you included. */
  getPeersStream(): { [peerId: string]: MediaStream };
  /** AdapterJS's helper: plays stream in a <video> / <audio> element. */
  static attachMediaStream(element: HTMLMediaElement, stream: MediaStream | null): HTMLMediaElement;

  /** Locks the room: nobody else can join until it is unlocked. Fires roomLock. */
  lockRoom(): void;
  /** Unlocks the room. Fires roomLock. */
  unlockRoom(): void;

  /** Leaves the room, closes every connection and the signaling socket. */
  close(): void;

  /** Adds a listener. A listener that throws is reported (console.error) and does not affect others. */
  on<E extends SkywayEventName>(event: E, listener: SkywayEvents[E]): this;
  /** Removes one listener, or every listener of the event. */
  off<E extends SkywayEventName>(event: E, listener?: SkywayEvents[E]): this;
  /** Adds a listener that runs once. */
  once<E extends SkywayEventName>(event: E, listener: SkywayEvents[E]): this;
}

export default Skyway;
/** SkylinkJS 0.6's name: the same class (`Skylink === Skyway`). */
export { Skyway as Skylink };

declare const SkywayConstructor: typeof Skyway;
declare global {
  /** Defined by the script build (`<script src=".../dist/skymesh.js">`). */
  // eslint-disable-next-line no-var
  var Skyway: typeof SkywayConstructor;
  /** The same class as `Skyway`, for SkylinkJS pages (`new Skylink()`). */
  // eslint-disable-next-line no-var
  var Skylink: typeof SkywayConstructor;
  /** AdapterJS's attachMediaStream(element, stream), defined by the script build in a browser. */
  function attachMediaStream(element: HTMLMediaElement, stream: MediaStream | null): HTMLMediaElement;
}
