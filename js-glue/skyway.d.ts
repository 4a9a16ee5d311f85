// TypeScript declarations for skymesh: peer-to-peer WebRTC rooms and chat with
// the SkywayJS API (docs/api.md is the reference).
//
// One file for every way of loading the module:
//   <script src=".../dist/skymesh.js">       the globals `Skyway` and `Skylink` (declared below)
//   import Skyway from 'skymesh'              ES module (also `import { Skyway }`, `import { Skylink }`)
//   const Skyway = require('skymesh')         CommonJS (also `.Skyway`, `.Skylink`)
// `Skylink` (SkylinkJS 0.6's name) is the same class as `Skyway`.
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
  /** skymesh carries data only. */
  settings: { data: boolean; audio: boolean; video: boolean };
  mediaStatus: {};
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
}

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
export interface JoinRoomOptions {
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
}

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

  /** Sends over the data channels to the room, or privately to one or more peers. Throws when not in a room. */
  /**
   * Any JSON value, or binary content (ArrayBuffer, a typed array, DataView, node
   * Buffer; up to 256 KiB), delivered as an ArrayBuffer with `isBinary` true.
   */
  sendP2PMessage(message: any | ArrayBuffer | ArrayBufferView, targetPeerId?: string | string[]): void;
  /** Sends through the signaling server to the room, or privately to one peer. Throws when not in a room. */
  sendMessage(message: any, targetPeerId?: string): void;

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
}
