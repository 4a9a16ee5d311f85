/*! skymesh 0.1.0 | MIT | peer-to-peer WebRTC rooms and chat, core in C/WebAssembly */
var skyScriptUrl = import.meta.url;
var SkymeshModule = (() => {
  var _scriptDir = typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : undefined;
  
  return (
function(SkymeshModule) {
  SkymeshModule = SkymeshModule || {};

var Module=typeof SkymeshModule!="undefined"?SkymeshModule:{};var readyPromiseResolve,readyPromiseReject;Module["ready"]=new Promise(function(resolve,reject){readyPromiseResolve=resolve;readyPromiseReject=reject});var WebSocket=Module["WebSocket"]||globalThis.WebSocket;if(WebSocket&&WebSocket.prototype&&typeof WebSocket.prototype.on=="function"){WebSocket=function(Base){return function(url,protocols){var ws=protocols===undefined?new Base(url):new Base(url,protocols);ws.on("error",function(){});return ws}}(WebSocket)}var skyPcs={};var skyXfer=Module["skyXfer"]={src:{},sink:{}};var SKY_XFER_BLOCK=1<<20,SKY_XFER_AHEAD=2;function skyXferBytes(s,offset,len,h){if(!s.blob)return s.subarray(offset,offset+len);if(s.failed)return false;var B=SKY_XFER_BLOCK,first=Math.floor(offset/B),last=Math.floor((offset+len-1)/B);var blocks=s.blocks||(s.blocks={}),at=s.at||(s.at={}),ready=true,b,k;at[h]=first;for(b in blocks){var kept=blocks[b].loading;for(k in at)kept=kept||b>=at[k]&&b<=at[k]+1+SKY_XFER_AHEAD;if(!kept)delete blocks[b]}for(b=first;b<=last+SKY_XFER_AHEAD&&b*B<s.length;b++){if(!blocks[b])skyXferRead(s,b);if(b<=last&&blocks[b].loading)ready=false}if(!ready){(s.waiting||(s.waiting={}))[h]=true;return null}if(first==last)return blocks[first].bytes.subarray(offset-first*B,offset-first*B+len);var out=new Uint8Array(len),to=0;for(b=first;b<=last;b++){var lo=Math.max(offset,b*B)-b*B,hi=Math.min(offset+len,(b+1)*B)-b*B;out.set(blocks[b].bytes.subarray(lo,hi),to);to+=hi-lo}return out}function skyXferRead(s,b){var block=s.blocks[b]={loading:true},B=SKY_XFER_BLOCK;s.blob.slice(b*B,Math.min(s.length,(b+1)*B)).arrayBuffer().then(function(buf){block.bytes=new Uint8Array(buf)},function(){s.failed=true}).then(function(){block.loading=false;var waiting=s.waiting||{};s.waiting={};for(var h in waiting)if(skyPcs[h])_sky_cb_channel_drain(+h)})}function skyOp(h,f){var e=skyPcs[h];if(e)e.q=e.q.then(function(){if(skyPcs[h]===e)return f(e.pc,e)}).catch(function(){})}function skyChannel(h){var e=skyPcs[h];if(!e||e.dc)return;var dc=e.dc=e.pc.createDataChannel("skymesh",{negotiated:true,id:0,ordered:true});dc.binaryType="arraybuffer";dc.bufferedAmountLowThreshold=262144;dc.onopen=function(){e.state(3,"open")};dc.onclose=function(){e.state(3,"closed")};dc.onerror=function(){e.state(3,"error")};dc.onbufferedamountlow=function(){if(skyPcs[h]===e)_sky_cb_channel_drain(h)};dc.onmessage=function(ev){if(skyPcs[h]!==e)return;if(typeof ev.data=="string"){skyStrings([ev.data],function(p,n){_sky_cb_channel_message(h,p,n,1)})}else{var u=new Uint8Array(ev.data),p=_malloc(u.length||1);HEAPU8.set(u,p);_sky_cb_channel_message(h,p,u.length,0);_free(p)}}}var skyStreams={},skyNextStream=1;Module["skyStream"]=function(s){return skyStreams[s]||null};Module["skyAdoptStream"]=function(st){var s=skyNextStream++;skyStreams[s]=st;return s};function skyTrack(h,e,ev){var st=ev.streams&&ev.streams[0];e.rs=e.rs||{};if(!st||e.rs[st.id])return;var s=e.rs[st.id]=Module["skyAdoptStream"](st);if(st.addEventListener)st.addEventListener("removetrack",function(){if(skyPcs[h]!==e||e.rs[st.id]!==s||st.getTracks().length)return;delete e.rs[st.id];_sky_cb_remote_stream_ended(h,s);delete skyStreams[s]});skyStrings([st.id],function(p,n){_sky_cb_remote_stream(h,s,p,n)})}var skyEnc=new TextEncoder;function skyStrings(strs,fn){var args=[];try{strs.forEach(function(s){var n,p;if(s.length>256){var b=skyEnc.encode(s);n=b.length;p=_malloc(n+1);HEAPU8.set(b,p);HEAPU8[p+n]=0}else{n=lengthBytesUTF8(s);p=_malloc(n+1);stringToUTF8(s,p,n+1)}args.push(p,n)});return fn.apply(null,args)}finally{for(var i=0;i<args.length;i+=2)_free(args[i])}}Module["skyStrings"]=skyStrings;Module["skyBytes"]=function(bytes,fn){var p=_malloc(bytes.length||1);try{HEAPU8.set(bytes,p);return fn(p,bytes.length)}finally{_free(p)}};var skyTaken=null;Module["skyTakeBinary"]=function(id){skyTaken=null;_sky_take_binary(id);var b=skyTaken;skyTaken=null;return b};Module["skyStats"]=function(h){var e=skyPcs[h];if(!e)return Promise.resolve(null);var pc=e.pc,out={connectionState:pc.connectionState||null,iceConnectionState:pc.iceConnectionState||null,selectedCandidate:null};if(!pc.getStats)return Promise.resolve(out);return pc.getStats().then(function(report){var byId={},pair=null;report.forEach(function(s){byId[s.id]=s});report.forEach(function(s){if(s.type=="transport"&&s.selectedCandidatePairId)pair=byId[s.selectedCandidatePairId]||pair});report.forEach(function(s){if(!pair&&s.type=="candidate-pair"&&(s.selected||s.nominated)&&s.state=="succeeded")pair=s});function cand(id){var c=byId[id];return c?{candidateType:c.candidateType,protocol:c.protocol,address:c.address||c.ip||null,port:c.port==null?null:c.port}:null}if(pair)out.selectedCandidate={local:cand(pair.localCandidateId),remote:cand(pair.remoteCandidateId)};return out},function(){return out})};var moduleOverrides=Object.assign({},Module);var arguments_=[];var quit_=(status,toThrow)=>{throw toThrow};var ENVIRONMENT_IS_WEB=typeof window=="object";var ENVIRONMENT_IS_WORKER=typeof importScripts=="function";var ENVIRONMENT_IS_NODE=typeof process=="object"&&typeof process.versions=="object"&&typeof process.versions.node=="string";var scriptDirectory="";function locateFile(path){if(Module["locateFile"]){return Module["locateFile"](path,scriptDirectory)}return scriptDirectory+path}var read_,readAsync,readBinary,setWindowTitle;if(ENVIRONMENT_IS_WEB||ENVIRONMENT_IS_WORKER){if(ENVIRONMENT_IS_WORKER){scriptDirectory=self.location.href}else if(typeof document!="undefined"&&document.currentScript){scriptDirectory=document.currentScript.src}if(_scriptDir){scriptDirectory=_scriptDir}if(scriptDirectory.indexOf("blob:")!==0){scriptDirectory=scriptDirectory.substr(0,scriptDirectory.replace(/[?#].*/,"").lastIndexOf("/")+1)}else{scriptDirectory=""}{read_=(url=>{var xhr=new XMLHttpRequest;xhr.open("GET",url,false);xhr.send(null);return xhr.responseText});if(ENVIRONMENT_IS_WORKER){readBinary=(url=>{var xhr=new XMLHttpRequest;xhr.open("GET",url,false);xhr.responseType="arraybuffer";xhr.send(null);return new Uint8Array(xhr.response)})}readAsync=((url,onload,onerror)=>{var xhr=new XMLHttpRequest;xhr.open("GET",url,true);xhr.responseType="arraybuffer";xhr.onload=(()=>{if(xhr.status==200||xhr.status==0&&xhr.response){onload(xhr.response);return}onerror()});xhr.onerror=onerror;xhr.send(null)})}setWindowTitle=(title=>document.title=title)}else{}var out=console.log.bind(console);var err=console.warn.bind(console);Object.assign(Module,moduleOverrides);moduleOverrides=null;var wasmBinary;if(Module["wasmBinary"])wasmBinary=Module["wasmBinary"];var noExitRuntime=true;if(typeof WebAssembly!="object"){abort("no native wasm support detected")}var wasmMemory;var ABORT=false;var EXITSTATUS;var UTF8Decoder=new TextDecoder("utf8");function UTF8ToString(ptr,maxBytesToRead){if(!ptr)return"";var maxPtr=ptr+maxBytesToRead;for(var end=ptr;!(end>=maxPtr)&&HEAPU8[end];)++end;return UTF8Decoder.decode(HEAPU8.subarray(ptr,end))}function stringToUTF8Array(str,heap,outIdx,maxBytesToWrite){if(!(maxBytesToWrite>0))return 0;var startIdx=outIdx;var endIdx=outIdx+maxBytesToWrite-1;for(var i=0;i<str.length;++i){var u=str.charCodeAt(i);if(u>=55296&&u<=57343){var u1=str.charCodeAt(++i);u=65536+((u&1023)<<10)|u1&1023}if(u<=127){if(outIdx>=endIdx)break;heap[outIdx++]=u}else if(u<=2047){if(outIdx+1>=endIdx)break;heap[outIdx++]=192|u>>6;heap[outIdx++]=128|u&63}else if(u<=65535){if(outIdx+2>=endIdx)break;heap[outIdx++]=224|u>>12;heap[outIdx++]=128|u>>6&63;heap[outIdx++]=128|u&63}else{if(outIdx+3>=endIdx)break;heap[outIdx++]=240|u>>18;heap[outIdx++]=128|u>>12&63;heap[outIdx++]=128|u>>6&63;heap[outIdx++]=128|u&63}}heap[outIdx]=0;return outIdx-startIdx}function stringToUTF8(str,outPtr,maxBytesToWrite){return stringToUTF8Array(str,HEAPU8,outPtr,maxBytesToWrite)}function lengthBytesUTF8(str){var len=0;for(var i=0;i<str.length;++i){var u=str.charCodeAt(i);if(u>=55296&&u<=57343)u=65536+((u&1023)<<10)|str.charCodeAt(++i)&1023;if(u<=127)++len;else if(u<=2047)len+=2;else if(u<=65535)len+=3;else len+=4}return len}var buffer,HEAP8,HEAPU8,HEAP16,HEAPU16,HEAP32,HEAPU32,HEAPF32,HEAPF64;function updateGlobalBufferAndViews(buf){buffer=buf;Module["HEAP8"]=HEAP8=new Int8Array(buf);Module["HEAP16"]=HEAP16=new Int16Array(buf);Module["HEAP32"]=HEAP32=new Int32Array(buf);Module["HEAPU8"]=HEAPU8=new Uint8Array(buf);Module["HEAPU16"]=HEAPU16=new Uint16Array(buf);Module["HEAPU32"]=HEAPU32=new Uint32Array(buf);Module["HEAPF32"]=HEAPF32=new Float32Array(buf);Module["HEAPF64"]=HEAPF64=new Float64Array(buf)}var wasmTable;var __ATPRERUN__=[];var __ATINIT__=[];var __ATPOSTRUN__=[];var runtimeInitialized=false;var runtimeExited=false;var runtimeKeepaliveCounter=0;function keepRuntimeAlive(){return noExitRuntime||runtimeKeepaliveCounter>0}function preRun(){callRuntimeCallbacks(__ATPRERUN__)}function initRuntime(){runtimeInitialized=true;callRuntimeCallbacks(__ATINIT__)}function exitRuntime(){runtimeExited=true}function postRun(){callRuntimeCallbacks(__ATPOSTRUN__)}function addOnInit(cb){__ATINIT__.unshift(cb)}var runDependencies=0;var runDependencyWatcher=null;var dependenciesFulfilled=null;function addRunDependency(id){runDependencies++}function removeRunDependency(id){runDependencies--;if(runDependencies==0){if(runDependencyWatcher!==null){clearInterval(runDependencyWatcher);runDependencyWatcher=null}if(dependenciesFulfilled){var callback=dependenciesFulfilled;dependenciesFulfilled=null;callback()}}}Module["preloadedImages"]={};Module["preloadedAudios"]={};function abort(what){what="Aborted("+what+")";err(what);ABORT=true;EXITSTATUS=1;what+=". Build with -s ASSERTIONS=1 for more info.";var e=new WebAssembly.RuntimeError(what);readyPromiseReject(e);throw e}var dataURIPrefix="data:application/octet-stream;base64,";function isDataURI(filename){return filename.startsWith(dataURIPrefix)}var wasmBinaryFile;wasmBinaryFile="skymesh.wasm";if(!isDataURI(wasmBinaryFile)){wasmBinaryFile=locateFile(wasmBinaryFile)}function getBinary(file){try{if(file==wasmBinaryFile&&wasmBinary){return new Uint8Array(wasmBinary)}if(readBinary){return readBinary(file)}else{throw"both async and sync fetching of the wasm failed"}}catch(err){abort(err)}}function getBinaryPromise(){if(!wasmBinary&&(ENVIRONMENT_IS_WEB||ENVIRONMENT_IS_WORKER)){if(typeof fetch=="function"){return fetch(wasmBinaryFile,{credentials:"same-origin"}).then(function(response){if(!response["ok"]){throw"failed to load wasm binary file at '"+wasmBinaryFile+"'"}return response["arrayBuffer"]()}).catch(function(){return getBinary(wasmBinaryFile)})}}return Promise.resolve().then(function(){return getBinary(wasmBinaryFile)})}function createWasm(){var info={"a":asmLibraryArg};function receiveInstance(instance,module){var exports=instance.exports;Module["asm"]=exports;wasmMemory=Module["asm"]["H"];updateGlobalBufferAndViews(wasmMemory.buffer);wasmTable=Module["asm"]["U"];addOnInit(Module["asm"]["I"]);removeRunDependency("wasm-instantiate")}addRunDependency("wasm-instantiate");function receiveInstantiationResult(result){receiveInstance(result["instance"])}function instantiateArrayBuffer(receiver){return getBinaryPromise().then(function(binary){return WebAssembly.instantiate(binary,info)}).then(function(instance){return instance}).then(receiver,function(reason){err("failed to asynchronously prepare wasm: "+reason);abort(reason)})}function instantiateAsync(){if(!wasmBinary&&typeof WebAssembly.instantiateStreaming=="function"&&!isDataURI(wasmBinaryFile)&&typeof fetch=="function"){return fetch(wasmBinaryFile,{credentials:"same-origin"}).then(function(response){var result=WebAssembly.instantiateStreaming(response,info);return result.then(receiveInstantiationResult,function(reason){err("wasm streaming compile failed: "+reason);err("falling back to ArrayBuffer instantiation");return instantiateArrayBuffer(receiveInstantiationResult)})})}else{return instantiateArrayBuffer(receiveInstantiationResult)}}if(Module["instantiateWasm"]){try{var exports=Module["instantiateWasm"](info,receiveInstance);return exports}catch(e){err("Module.instantiateWasm callback failed with error: "+e);return false}}instantiateAsync().catch(readyPromiseReject);return{}}function sky_js_add_candidate(h,cand,len,mid,mid_len,mline){var c={candidate:UTF8ToString(cand,len),sdpMid:mid_len?UTF8ToString(mid,mid_len):"0",sdpMLineIndex:mline<0?0:mline};skyOp(h,function(pc){return pc.addIceCandidate(c).catch(function(){})})}function sky_js_binary(data,len){skyTaken=HEAPU8.slice(data,data+len).buffer}function sky_js_dc_buffered(h){var e=skyPcs[h];return e&&e.dc?e.dc.bufferedAmount|0:0}function sky_js_dc_max_message(h){var e=skyPcs[h],n=0;try{n=e&&e.pc.sctp&&e.pc.sctp.maxMessageSize}catch(err){}return n>0&&n<2147483647?n|0:0}function sky_js_dc_send(h,data,len){var e=skyPcs[h];try{e.dc.send(UTF8ToString(data,len));return 0}catch(err){return-1}}function sky_js_dc_send_bin(h,data,len){var e=skyPcs[h];try{e.dc.send(HEAPU8.slice(data,data+len));return 0}catch(err){return-1}}function sky_js_describe(h,type){skyOp(h,function(pc,e){if(!type)skyChannel(h);var make=!type?pc.createOffer():pc.signalingState=="have-remote-offer"?pc.createAnswer():null;var ld,sdp;if(!make&&!((ld=pc.localDescription)&&ld.type=="answer"))return;var done=make?make.then(function(d){sdp=d.sdp;if(type||pc.signalingState!="have-local-offer")return pc.setLocalDescription(d)}):Promise.resolve(sdp=ld.sdp);return done.then(function(){skyStrings([sdp],function(p,n){_sky_cb_local_description(h,type,p,n)})})})}function sky_js_emit(name,args,len){if(Module.onSkyEvent)Module.onSkyEvent(UTF8ToString(name),UTF8ToString(args,len))}function sky_js_fmt_double(d,buf,cap){var s=d!=d?"nan":d==Infinity?"inf":d==-Infinity?"-inf":String(d);stringToUTF8(s,buf,cap);return s.length}function sky_js_parse_double(s,len){return parseFloat(UTF8ToString(s,len))}function sky_js_pc_close(h){var e=skyPcs[h];delete skyPcs[h];if(e){for(var id in e.rs)delete skyStreams[e.rs[id]];try{e.dc&&e.dc.close()}catch(err){}try{e.pc.close()}catch(err){}}}function sky_js_pc_create(h,cfg,len){var RTC=Module.RTCPeerConnection||typeof RTCPeerConnection!="undefined"&&RTCPeerConnection;var pc,config=JSON.parse(UTF8ToString(cfg,len));if(Module.encodeIceCredentials)config.iceServers.forEach(function(s){if(s.username!=null)s.username=encodeURIComponent(s.username);if(s.credential!=null)s.credential=encodeURIComponent(s.credential)});try{pc=new RTC(config)}catch(err){return-1}var e=skyPcs[h]={pc:pc,dc:null,q:Promise.resolve()};function state(kind,s){if(skyPcs[h]===e)skyStrings([s],function(p,n){_sky_cb_state(h,kind,p,n)})}e.state=state;pc.onicecandidate=function(ev){var c=ev.candidate;if(skyPcs[h]===e&&c&&c.candidate)skyStrings([c.candidate,c.sdpMid||""],function(p,n,m,mn){_sky_cb_ice_candidate(h,p,n,m,mn,c.sdpMLineIndex==null?-1:c.sdpMLineIndex)})};pc.onnegotiationneeded=function(){if(skyPcs[h]===e)_sky_cb_negotiation_needed(h)};pc.ontrack=function(ev){if(skyPcs[h]===e)skyTrack(h,e,ev)};pc.onconnectionstatechange=function(){state(0,pc.connectionState)};pc.oniceconnectionstatechange=function(){state(1,pc.iceConnectionState)};pc.onsignalingstatechange=function(){state(2,pc.signalingState)};return 0}function sky_js_pc_stream(h,s,add){var st=skyStreams[s];skyOp(h,function(pc,e){if(!pc.addTrack)return;e.senders=e.senders||{};if(add&&st){e.senders[s]=st.getTracks().map(function(t){return pc.addTrack(t,st)})}else if(!add){(e.senders[s]||[]).forEach(function(x){try{pc.removeTrack(x)}catch(err){}});delete e.senders[s]}})}function sky_js_restart_ice(h){var e=skyPcs[h];if(!e)return-1;try{if(e.pc.restartIce)e.pc.restartIce()}catch(err){return-1}skyOp(h,function(pc){var sdp;return pc.createOffer({iceRestart:true}).then(function(d){sdp=d.sdp;return pc.setLocalDescription(d)}).then(function(){skyStrings([sdp],function(p,n){_sky_cb_local_description(h,0,p,n)})})});return 0}function sky_js_set_remote(h,type,sdp,len,rollback){var desc={type:type?"answer":"offer",sdp:UTF8ToString(sdp,len)};skyOp(h,function(pc){var undo=rollback?pc.setLocalDescription({type:"rollback"}):Promise.resolve();function ok(){skyChannel(h);_sky_cb_remote_set(h,1)}return undo.then(function(){return pc.setRemoteDescription(desc)}).then(ok,function(){if(type&&pc.signalingState=="stable"&&pc.remoteDescription)ok();else _sky_cb_remote_set(h,0)})})}function sky_js_stream_enable(s,audio,video){var st=skyStreams[s];if(st)st.getTracks().forEach(function(t){t.enabled=!!(t.kind=="audio"?audio:video)})}function sky_js_stream_stop(s){var st=skyStreams[s];delete skyStreams[s];if(st)st.getTracks().forEach(function(t){t.stop()})}function sky_js_stream_video(s,what){var st=skyStreams[s],t=st&&st.getVideoTracks()[0],v={};try{v=t&&t.getSettings&&t.getSettings()||{}}catch(err){}var x=[v.width,v.height,v.frameRate][what];return x>0?Math.round(x):0}function sky_js_xfer_chunk(h,src,offset,len,header,header_len){var e=skyPcs[h],s=skyXfer.src[src];if(!e||!e.dc||!s||offset+len>s.length)return-1;var bytes=skyXferBytes(s,offset,len,h);if(bytes===null)return 1;if(!bytes)return-1;var frame=new Uint8Array(header_len+len);frame.set(HEAPU8.subarray(header,header+header_len));frame.set(bytes,header_len);try{e.dc.send(frame);return 0}catch(err){return-1}}function sky_js_xfer_sink(sink,size,offset,data,len){var k=skyXfer.sink[sink];try{if(!k)k=skyXfer.sink[sink]=Module.nodeBuffers?{buf:Buffer.allocUnsafe(size)}:{parts:[]};if(k.buf)k.buf.set(HEAPU8.subarray(data,data+len),offset);else k.parts.push(HEAPU8.slice(data,data+len));return 0}catch(err){return-1}}function callRuntimeCallbacks(callbacks){while(callbacks.length>0){var callback=callbacks.shift();if(typeof callback=="function"){callback(Module);continue}var func=callback.func;if(typeof func=="number"){if(callback.arg===undefined){getWasmTableEntry(func)()}else{getWasmTableEntry(func)(callback.arg)}}else{func(callback.arg===undefined?null:callback.arg)}}}function getWasmTableEntry(funcPtr){return wasmTable.get(funcPtr)}function handleException(e){if(e instanceof ExitStatus||e=="unwind"){return EXITSTATUS}quit_(1,e)}function _emscripten_clear_timeout(id){clearTimeout(id)}var _emscripten_get_now;_emscripten_get_now=(()=>performance.now());function _emscripten_get_heap_max(){return 2147483648}function emscripten_realloc_buffer(size){try{wasmMemory.grow(size-buffer.byteLength+65535>>>16);updateGlobalBufferAndViews(wasmMemory.buffer);return 1}catch(e){}}function _emscripten_resize_heap(requestedSize){var oldSize=HEAPU8.length;requestedSize=requestedSize>>>0;var maxHeapSize=_emscripten_get_heap_max();if(requestedSize>maxHeapSize){return false}let alignUp=(x,multiple)=>x+(multiple-x%multiple)%multiple;for(var cutDown=1;cutDown<=4;cutDown*=2){var overGrownHeapSize=oldSize*(1+.2/cutDown);overGrownHeapSize=Math.min(overGrownHeapSize,requestedSize+100663296);var newSize=Math.min(maxHeapSize,alignUp(Math.max(requestedSize,overGrownHeapSize),65536));var replacement=emscripten_realloc_buffer(newSize);if(replacement){return true}}return false}function callUserCallback(func,synchronous){if(runtimeExited||ABORT){return}if(synchronous){func();return}try{func()}catch(e){handleException(e)}}function _emscripten_set_timeout(cb,msecs,userData){return setTimeout(function(){callUserCallback(function(){getWasmTableEntry(cb)(userData)})},msecs)}var WS={sockets:[null],socketEvent:null};function _emscripten_websocket_close(socketId,code,reason){var socket=WS.sockets[socketId];if(!socket){return-3}var reasonStr=reason?UTF8ToString(reason):undefined;if(reason)socket.close(code||undefined,UTF8ToString(reason));else if(code)socket.close(code);else socket.close();return 0}function _emscripten_websocket_delete(socketId){var socket=WS.sockets[socketId];if(!socket){return-3}socket.onopen=socket.onerror=socket.onclose=socket.onmessage=null;delete WS.sockets[socket];return 0}function _emscripten_websocket_new(createAttributes){if(typeof WebSocket=="undefined"){return-1}if(!createAttributes){return-5}var createAttrs=createAttributes>>2;var url=UTF8ToString(HEAP32[createAttrs]);var protocols=HEAP32[createAttrs+1];var socket=protocols?new WebSocket(url,UTF8ToString(protocols).split(",")):new WebSocket(url);socket.binaryType="arraybuffer";var socketId=WS.sockets.length;WS.sockets[socketId]=socket;return socketId}function _emscripten_websocket_send_utf8_text(socketId,textData){var socket=WS.sockets[socketId];if(!socket){return-3}var str=UTF8ToString(textData);socket.send(str);return 0}function _emscripten_websocket_set_onclose_callback_on_thread(socketId,userData,callbackFunc,thread){if(!WS.socketEvent)WS.socketEvent=_malloc(1024);var socket=WS.sockets[socketId];if(!socket){return-3}socket.onclose=function(e){HEAPU32[WS.socketEvent>>2]=socketId;HEAPU32[WS.socketEvent+4>>2]=e.wasClean;HEAPU32[WS.socketEvent+8>>2]=e.code;stringToUTF8(e.reason,WS.socketEvent+10,512);getWasmTableEntry(callbackFunc)(0,WS.socketEvent,userData)};return 0}function _emscripten_websocket_set_onerror_callback_on_thread(socketId,userData,callbackFunc,thread){if(!WS.socketEvent)WS.socketEvent=_malloc(1024);var socket=WS.sockets[socketId];if(!socket){return-3}socket.onerror=function(e){HEAPU32[WS.socketEvent>>2]=socketId;getWasmTableEntry(callbackFunc)(0,WS.socketEvent,userData)};return 0}function _emscripten_websocket_set_onmessage_callback_on_thread(socketId,userData,callbackFunc,thread){if(!WS.socketEvent)WS.socketEvent=_malloc(1024);var socket=WS.sockets[socketId];if(!socket){return-3}socket.onmessage=function(e){HEAPU32[WS.socketEvent>>2]=socketId;if(typeof e.data=="string"){var len=lengthBytesUTF8(e.data)+1;var buf=_malloc(len);stringToUTF8(e.data,buf,len);HEAPU32[WS.socketEvent+12>>2]=1}else{var len=e.data.byteLength;var buf=_malloc(len);HEAP8.set(new Uint8Array(e.data),buf);HEAPU32[WS.socketEvent+12>>2]=0}HEAPU32[WS.socketEvent+4>>2]=buf;HEAPU32[WS.socketEvent+8>>2]=len;getWasmTableEntry(callbackFunc)(0,WS.socketEvent,userData);_free(buf)};return 0}function _emscripten_websocket_set_onopen_callback_on_thread(socketId,userData,callbackFunc,thread){if(!WS.socketEvent)WS.socketEvent=_malloc(1024);var socket=WS.sockets[socketId];if(!socket){return-3}socket.onopen=function(e){HEAPU32[WS.socketEvent>>2]=socketId;getWasmTableEntry(callbackFunc)(0,WS.socketEvent,userData)};return 0}function _exit(status){exit(status)}var asmLibraryArg={"e":_emscripten_clear_timeout,"s":_emscripten_get_now,"m":_emscripten_resize_heap,"t":_emscripten_set_timeout,"B":_emscripten_websocket_close,"d":_emscripten_websocket_delete,"A":_emscripten_websocket_new,"u":_emscripten_websocket_send_utf8_text,"v":_emscripten_websocket_set_onclose_callback_on_thread,"w":_emscripten_websocket_set_onerror_callback_on_thread,"x":_emscripten_websocket_set_onmessage_callback_on_thread,"z":_emscripten_websocket_set_onopen_callback_on_thread,"a":_exit,"j":sky_js_add_candidate,"G":sky_js_binary,"g":sky_js_dc_buffered,"n":sky_js_dc_max_message,"i":sky_js_dc_send,"h":sky_js_dc_send_bin,"c":sky_js_describe,"E":sky_js_emit,"r":sky_js_fmt_double,"q":sky_js_parse_double,"y":sky_js_pc_close,"F":sky_js_pc_create,"f":sky_js_pc_stream,"l":sky_js_restart_ice,"k":sky_js_set_remote,"D":sky_js_stream_enable,"C":sky_js_stream_stop,"b":sky_js_stream_video,"p":sky_js_xfer_chunk,"o":sky_js_xfer_sink};var asm=createWasm();var ___wasm_call_ctors=Module["___wasm_call_ctors"]=function(){return(___wasm_call_ctors=Module["___wasm_call_ctors"]=Module["asm"]["I"]).apply(null,arguments)};var _sky_cb_local_description=Module["_sky_cb_local_description"]=function(){return(_sky_cb_local_description=Module["_sky_cb_local_description"]=Module["asm"]["J"]).apply(null,arguments)};var _sky_cb_remote_set=Module["_sky_cb_remote_set"]=function(){return(_sky_cb_remote_set=Module["_sky_cb_remote_set"]=Module["asm"]["K"]).apply(null,arguments)};var _sky_cb_ice_candidate=Module["_sky_cb_ice_candidate"]=function(){return(_sky_cb_ice_candidate=Module["_sky_cb_ice_candidate"]=Module["asm"]["L"]).apply(null,arguments)};var _sky_cb_state=Module["_sky_cb_state"]=function(){return(_sky_cb_state=Module["_sky_cb_state"]=Module["asm"]["M"]).apply(null,arguments)};var _sky_cb_channel_message=Module["_sky_cb_channel_message"]=function(){return(_sky_cb_channel_message=Module["_sky_cb_channel_message"]=Module["asm"]["N"]).apply(null,arguments)};var _sky_cb_channel_drain=Module["_sky_cb_channel_drain"]=function(){return(_sky_cb_channel_drain=Module["_sky_cb_channel_drain"]=Module["asm"]["O"]).apply(null,arguments)};var _sky_cb_negotiation_needed=Module["_sky_cb_negotiation_needed"]=function(){return(_sky_cb_negotiation_needed=Module["_sky_cb_negotiation_needed"]=Module["asm"]["P"]).apply(null,arguments)};var _sky_cb_remote_stream=Module["_sky_cb_remote_stream"]=function(){return(_sky_cb_remote_stream=Module["_sky_cb_remote_stream"]=Module["asm"]["Q"]).apply(null,arguments)};var _sky_cb_remote_stream_ended=Module["_sky_cb_remote_stream_ended"]=function(){return(_sky_cb_remote_stream_ended=Module["_sky_cb_remote_stream_ended"]=Module["asm"]["R"]).apply(null,arguments)};var _sky_take_binary=Module["_sky_take_binary"]=function(){return(_sky_take_binary=Module["_sky_take_binary"]=Module["asm"]["S"]).apply(null,arguments)};var _free=Module["_free"]=function(){return(_free=Module["_free"]=Module["asm"]["T"]).apply(null,arguments)};var _sky_init=Module["_sky_init"]=function(){return(_sky_init=Module["_sky_init"]=Module["asm"]["V"]).apply(null,arguments)};var _malloc=Module["_malloc"]=function(){return(_malloc=Module["_malloc"]=Module["asm"]["W"]).apply(null,arguments)};var _sky_set_user_data=Module["_sky_set_user_data"]=function(){return(_sky_set_user_data=Module["_sky_set_user_data"]=Module["asm"]["X"]).apply(null,arguments)};var _sky_get_user_data=Module["_sky_get_user_data"]=function(){return(_sky_get_user_data=Module["_sky_get_user_data"]=Module["asm"]["Y"]).apply(null,arguments)};var _sky_join=Module["_sky_join"]=function(){return(_sky_join=Module["_sky_join"]=Module["asm"]["Z"]).apply(null,arguments)};var _sky_leave=Module["_sky_leave"]=function(){return(_sky_leave=Module["_sky_leave"]=Module["asm"]["_"]).apply(null,arguments)};var _sky_send_p2p=Module["_sky_send_p2p"]=function(){return(_sky_send_p2p=Module["_sky_send_p2p"]=Module["asm"]["$"]).apply(null,arguments)};var _sky_send_p2p_bin=Module["_sky_send_p2p_bin"]=function(){return(_sky_send_p2p_bin=Module["_sky_send_p2p_bin"]=Module["asm"]["aa"]).apply(null,arguments)};var _sky_send_server=Module["_sky_send_server"]=function(){return(_sky_send_server=Module["_sky_send_server"]=Module["asm"]["ba"]).apply(null,arguments)};var _sky_lock=Module["_sky_lock"]=function(){return(_sky_lock=Module["_sky_lock"]=Module["asm"]["ca"]).apply(null,arguments)};var _sky_set_ice_options=Module["_sky_set_ice_options"]=function(){return(_sky_set_ice_options=Module["_sky_set_ice_options"]=Module["asm"]["da"]).apply(null,arguments)};var _sky_set_credentials=Module["_sky_set_credentials"]=function(){return(_sky_set_credentials=Module["_sky_set_credentials"]=Module["asm"]["ea"]).apply(null,arguments)};var _sky_peer_pc=Module["_sky_peer_pc"]=function(){return(_sky_peer_pc=Module["_sky_peer_pc"]=Module["asm"]["fa"]).apply(null,arguments)};var _sky_refresh=Module["_sky_refresh"]=function(){return(_sky_refresh=Module["_sky_refresh"]=Module["asm"]["ga"]).apply(null,arguments)};var _sky_peer_info=Module["_sky_peer_info"]=function(){return(_sky_peer_info=Module["_sky_peer_info"]=Module["asm"]["ha"]).apply(null,arguments)};var _sky_peers=Module["_sky_peers"]=function(){return(_sky_peers=Module["_sky_peers"]=Module["asm"]["ia"]).apply(null,arguments)};var _sky_self_id=Module["_sky_self_id"]=function(){return(_sky_self_id=Module["_sky_self_id"]=Module["asm"]["ja"]).apply(null,arguments)};var _sky_room_name=Module["_sky_room_name"]=function(){return(_sky_room_name=Module["_sky_room_name"]=Module["asm"]["ka"]).apply(null,arguments)};var _sky_state=Module["_sky_state"]=function(){return(_sky_state=Module["_sky_state"]=Module["asm"]["la"]).apply(null,arguments)};var _sky_close=Module["_sky_close"]=function(){return(_sky_close=Module["_sky_close"]=Module["asm"]["ma"]).apply(null,arguments)};var _sky_strerror=Module["_sky_strerror"]=function(){return(_sky_strerror=Module["_sky_strerror"]=Module["asm"]["na"]).apply(null,arguments)};var _sky_media_publish=Module["_sky_media_publish"]=function(){return(_sky_media_publish=Module["_sky_media_publish"]=Module["asm"]["oa"]).apply(null,arguments)};var _sky_media_stop=Module["_sky_media_stop"]=function(){return(_sky_media_stop=Module["_sky_media_stop"]=Module["asm"]["pa"]).apply(null,arguments)};var _sky_media_mute=Module["_sky_media_mute"]=function(){return(_sky_media_mute=Module["_sky_media_mute"]=Module["asm"]["qa"]).apply(null,arguments)};var _sky_media_stop_on_leave=Module["_sky_media_stop_on_leave"]=function(){return(_sky_media_stop_on_leave=Module["_sky_media_stop_on_leave"]=Module["asm"]["ra"]).apply(null,arguments)};var _sky_media_streams=Module["_sky_media_streams"]=function(){return(_sky_media_streams=Module["_sky_media_streams"]=Module["asm"]["sa"]).apply(null,arguments)};var _sky_send_data=Module["_sky_send_data"]=function(){return(_sky_send_data=Module["_sky_send_data"]=Module["asm"]["ta"]).apply(null,arguments)};var _sky_respond_data=Module["_sky_respond_data"]=function(){return(_sky_respond_data=Module["_sky_respond_data"]=Module["asm"]["ua"]).apply(null,arguments)};var _sky_cancel_data=Module["_sky_cancel_data"]=function(){return(_sky_cancel_data=Module["_sky_cancel_data"]=Module["asm"]["va"]).apply(null,arguments)};var _sky_data_transfers=Module["_sky_data_transfers"]=function(){return(_sky_data_transfers=Module["_sky_data_transfers"]=Module["asm"]["wa"]).apply(null,arguments)};Module["UTF8ToString"]=UTF8ToString;Module["stringToUTF8"]=stringToUTF8;Module["lengthBytesUTF8"]=lengthBytesUTF8;var calledRun;function ExitStatus(status){this.name="ExitStatus";this.message="Program terminated with exit("+status+")";this.status=status}dependenciesFulfilled=function runCaller(){if(!calledRun)run();if(!calledRun)dependenciesFulfilled=runCaller};function run(args){args=args||arguments_;if(runDependencies>0){return}preRun();if(runDependencies>0){return}function doRun(){if(calledRun)return;calledRun=true;Module["calledRun"]=true;if(ABORT)return;initRuntime();readyPromiseResolve(Module);postRun()}{doRun()}}Module["run"]=run;function exit(status,implicit){EXITSTATUS=status;if(keepRuntimeAlive()){}else{exitRuntime()}procExit(status)}function procExit(code){EXITSTATUS=code;if(!keepRuntimeAlive()){ABORT=true}quit_(code,new ExitStatus(code))}run();


  return SkymeshModule.ready
}
);
})();
var skyIsNode = typeof process == 'object' && !!(process.versions && process.versions.node) &&
typeof window == 'undefined';
function skyError(code, message) {
var e = new Error(message);
e.code = code;
return e;
}
function skySignalingUrl(server) {
var u = new URL(server);
var scheme = {'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:'}[u.protocol];
if (!scheme) throw new TypeError('roomServer must be an http(s):// or ws(s):// URL');
var path = u.pathname.replace(/\/+$/, '');
if (!/\/signaling$/.test(path)) path += '/signaling';
return scheme + '//' + u.host + path;
}
function Skyway(options) {
if (!(this instanceof Skyway)) return new Skyway(options);
var self = this, o = options || {};
self._l = {};           // event name -> listeners
self._cb = {_join: [], _leave: []}; // callbacks waiting for C completions
self._pending = [];     // calls made before the module loaded
self._initCb = null;
self._inited = false;
self._m = null;
var mod = {
WebSocket: o.WebSocket || globalThis.WebSocket,
RTCPeerConnection: o.RTCPeerConnection || globalThis.RTCPeerConnection,
onSkyEvent: function(name, json) { self._dispatch(name, JSON.parse(json)); },
nodeBuffers: skyIsNode, // a download arrives as a Buffer in node, a Blob elsewhere
locateFile: o.locateFile || function(path, prefix) {
return skyScriptUrl ? new URL(path, skyScriptUrl).href : prefix + path;
}
};
mod.encodeIceCredentials = o.encodeIceCredentials != null ? !!o.encodeIceCredentials : skyIsNode &&
typeof require == 'function' && (function() {
try { return require('node-datachannel/polyfill').RTCPeerConnection === mod.RTCPeerConnection; } catch (e) { return false; }
})();
if (o.wasmBinary) mod.wasmBinary = o.wasmBinary;
else if (skyIsNode && typeof __dirname == 'string') {
void 0;
}
self.ready = SkymeshModule(mod).then(function(m) {
self._m = m;
var calls = self._pending;
self._pending = null;
calls.forEach(function(f) { // a queued call that fails is reported, not fatal
try { f(); } catch (e) { if (typeof console != 'undefined') console.error(e); }
});
return self;
});
}
var P = Skyway.prototype;
P.READY_STATE_CHANGE = {INIT: 0, LOADING: 1, COMPLETED: 2, ERROR: -1};
P.DATA_CHANNEL_STATE = {CONNECTING: 'connecting', OPEN: 'open', CLOSING: 'closing', CLOSED: 'closed', ERROR: 'error'};
P.HANDSHAKE_PROGRESS = {ENTER: 'enter', WELCOME: 'welcome', OFFER: 'offer', ANSWER: 'answer', ERROR: 'error'};
P.SYSTEM_ACTION = {WARNING: 'warning', REJECT: 'reject'};
P.SOCKET_FALLBACK = {NON_FALLBACK: 'nonfallback'};
P.SIGNALING_STATE = {CONNECTED: 'connected', RECONNECTING: 'reconnecting', RESUMED: 'resumed',
RESTARTED: 'restarted', FAILED: 'failed'};
P._later = function(f) {
if (this._pending) this._pending.push(f);
else f();
};
P._call = function(name) {
var m = this._m, args = [].slice.call(arguments, 1), strs = [], at = [];
args.forEach(function(a, i) { if (typeof a == 'string') { at.push(i); strs.push(a); } });
return m.skyStrings(strs, function() {
var ptrs = arguments, out = [];
args.forEach(function(a, i) {
var k = at.indexOf(i);
if (k >= 0) out.push(ptrs[2 * k], ptrs[2 * k + 1]);
else if (a === null) out.push(0, 0);
else out.push(a);
});
return m['_' + name].apply(null, out);
});
};
P._text = function(name) { // C-owned text result, copied at once
var p = this._call.apply(this, arguments);
return p ? this._m.UTF8ToString(p) : null;
};
P._check = function(rc) {
if (rc >= 0) return;
var codes = {'-1': 'invalid_argument', '-2': 'wrong_state', '-3': 'out_of_memory', '-4': 'too_large',
'-5': 'queue_full', '-6': 'unknown_peer', '-7': 'signaling_offline'};
throw skyError(codes[rc] || 'error', 'skymesh: ' + this._m.UTF8ToString(this._m._sky_strerror(rc)));
};
P._dispatch = function(name, args) {
if (this._xferDispatch && this._xferDispatch(name, args)) return; // js-glue/transfer.js
if (this._mediaArgs) this._mediaArgs(args); // js-glue/media.js
var msg = name == 'incomingMessage' && args[0];
if (msg && msg.isBinary && msg.content && msg.content.$binary != null) {
msg.content = this._m.skyTakeBinary(msg.content.$binary) || new ArrayBuffer(0);
}
if (name == 'readyStateChange' && (args[0] == 2 || args[0] == -1) && this._initCb) {
var cb = this._initCb;
this._initCb = null;
this._safe(cb, args[0] == 2 ? [null, {serverUrl: this._url}] : [args[1], null]);
}
if (name == '_join' || name == '_leave') {
var f = this._cb[name].shift();
if (f) this._safe(f, args);
return;
}
(this._l[name] || []).slice().forEach(function(fn) { this._safe(fn, args); }, this);
};
P._safe = function(fn, args) {
try {
fn.apply(this, args);
} catch (e) {
if (typeof console != 'undefined') console.error('skymesh: listener threw', e);
}
};
P.on = function(event, fn) {
if (typeof fn != 'function') throw new TypeError('on(event, fn): fn must be a function');
(this._l[event] = this._l[event] || []).push(fn);
return this;
};
P.off = function(event, fn) {
if (!fn) delete this._l[event];
else this._l[event] = (this._l[event] || []).filter(function(g) { return g !== fn && g._fn !== fn; });
return this;
};
P.once = function(event, fn) {
var self = this;
function g() { self.off(event, g); fn.apply(this, arguments); }
g._fn = fn;
return this.on(event, g);
};
P.init = function(options, callback) {
var o = typeof options == 'string' ? {appKey: options} : options || {};
var key = o.appKey || o.apiKey;
if (typeof key != 'string' || !key) throw new TypeError('init(): an appKey (apiKey) string is required');
var server = o.roomServer;
if (!server) {
if (typeof location == 'undefined' || !/^https?:/.test(location.protocol)) {
throw new TypeError('init(): roomServer is required outside a web page');
}
server = location.origin + '/';
}
var urls = (Array.isArray(server) ? server : [server]).map(skySignalingUrl);
if (!urls.length) throw new TypeError('init(): roomServer is an empty list');
this._url = urls[0];
var url = urls.join(' ');
var ice = JSON.stringify(o.iceServers || []);
var iceOptions = {};
['enableTURNServer', 'enableSTUNServer', 'forceTURN', 'TURNServerTransport', 'filterCandidatesType', 'iceServer']
.forEach(function(k) { if (o[k] !== undefined) iceOptions[k] = o[k]; });
iceOptions = JSON.stringify(iceOptions);
var cred = o.credentials;
if (cred != null && (typeof cred != 'object' || typeof cred.credentials != 'string' ||
typeof cred.startDateTime != 'string' || typeof cred.duration != 'number' && typeof cred.duration != 'string')) {
throw new TypeError('init(): credentials must be {startDateTime, duration, credentials}');
}
if (cred && !o.defaultRoom) throw new TypeError('init(): credentials need the defaultRoom they were made for');
var room = o.defaultRoom ? String(o.defaultRoom) : key;
var self = this;
self._audioFallback = !!o.audioFallback;
self._inited = true;
self._initCb = typeof callback == 'function' ? callback : null;
self._later(function() {
var rc = self._call('sky_set_ice_options', iceOptions);
if (rc >= 0) {
rc = cred ? self._call('sky_set_credentials', room, cred.startDateTime, String(cred.duration), cred.credentials)
: self._call('sky_set_credentials', null, null, null, null);
}
if (rc >= 0) rc = self._call('sky_init', url, key, ice, room);
if (rc < 0 && self._initCb) {
self._initCb = null;
self._safe(callback, [skyError('init_failed', 'skymesh: init failed'), null]);
}
});
};
P.setUserData = function(data) {
var json = JSON.stringify(data === undefined ? {} : data);
if (json === undefined) throw new TypeError('setUserData(): data must be JSON-serialisable');
var self = this;
if (!self._m) self._pendingUserData = data;
self._later(function() { self._check(self._call('sky_set_user_data', json)); });
};
P.getUserData = function() {
if (!this._m) return this._pendingUserData === undefined ? {} : this._pendingUserData;
return JSON.parse(this._text('sky_get_user_data'));
};
P.joinRoom = function(room, options, callback) {
var a = [].slice.call(arguments);
callback = typeof a[a.length - 1] == 'function' ? a.pop() : null;
room = typeof a[0] == 'string' ? a.shift() : null;
if (room === null && a[0] == null && a.length > 1) a.shift(); // joinRoom(null | undefined, options): the default room
options = a[0] || {};
if (a.length > 1 || typeof options != 'object') throw new TypeError('joinRoom([room], [options], [callback])');
if (!this._inited) {
var err = skyError('not_initialised', 'skymesh: call init() before joinRoom()');
if (callback) return callback(err, null);
throw err;
}
var self = this;
if (options.userData !== undefined) self.setUserData(options.userData);
if (options.audio || options.video) { // SkylinkJS: the media first, then the room
return self.getUserMedia({audio: options.audio, video: options.video}, function(e) {
if (!e) self.joinRoom.apply(self, callback ? [room, {}, callback] : [room, {}]);
else if (callback) self._safe(callback, [e, null]);
});
}
self._later(function() {
var rc = self._call('sky_join', room || null);
if (rc < 0) {
var e = skyError(rc == -1 ? 'invalid_room' : 'wrong_state', 'skymesh: joinRoom: ' +
self._m.UTF8ToString(self._m._sky_strerror(rc)));
if (callback) self._safe(callback, [e, null]);
else if (typeof console != 'undefined') console.error(e);
return;
}
self._cb._join.push(callback);
});
};
P.leaveRoom = function(stopMediaOptions, callback) {
var self = this, o = stopMediaOptions;
if (typeof o == 'function') { callback = o; o = true; }
callback = typeof callback == 'function' ? callback : null;
if (o == null) o = true;
var stopUser = typeof o == 'object' ? o.userMedia !== false : !!o;
var stopScreen = typeof o == 'object' ? o.screenshare !== false : !!o;
self._later(function() {
self._m._sky_media_stop_on_leave(stopUser ? 1 : 0, stopScreen ? 1 : 0);
var rc = self._m._sky_leave();
self._m._sky_media_stop_on_leave(1, 1); // for this leave only
if (rc < 0) {
if (callback) self._safe(callback, [skyError('not_in_room', 'skymesh: not in a room'), null]);
return;
}
self._cb._leave.push(callback);
});
};
function skyContent(message) {
var json = JSON.stringify(message);
if (json === undefined) throw new TypeError('message must be JSON-serialisable');
return json;
}
function skyBytes(message) {
if (message instanceof ArrayBuffer || Object.prototype.toString.call(message) == '[object ArrayBuffer]') {
return new Uint8Array(message);
}
if (ArrayBuffer.isView(message)) return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
return null;
}
P.sendP2PMessage = function(message, target) {
var bytes = skyBytes(message);
var json = bytes ? null : skyContent(message);
var targets = target == null ? null : JSON.stringify(Array.isArray(target) ? target : [target]);
if (!this._m) throw skyError('wrong_state', 'skymesh: not in a room');
if (!bytes) return this._check(this._call('sky_send_p2p', json, targets));
var self = this;
this._check(self._m.skyBytes(bytes, function(p, n) { return self._call('sky_send_p2p_bin', p, n, targets); }));
};
P.sendMessage = function(message, target) {
var json = skyContent(message);
if (target != null && typeof target != 'string') throw new TypeError('sendMessage(): targetPeerId must be a string');
if (!this._m) throw skyError('wrong_state', 'skymesh: not in a room');
this._check(this._call('sky_send_server', json, target == null ? null : target));
};
P.getPeerInfo = function(peerId) {
if (!this._m) return null;
var t = this._text('sky_peer_info', peerId == null ? null : String(peerId));
return t && JSON.parse(t);
};
P.getPeersInRoom = function() {
return this._m ? JSON.parse(this._text('sky_peers')) : {};
};
P.refreshConnection = function(target, iceRestart, callback) {
var a = [].slice.call(arguments);
callback = typeof a[a.length - 1] == 'function' ? a.pop() : null;
target = a[0] == null ? null : a[0];
iceRestart = a.length > 1 ? !!a[1] : typeof a[0] == 'boolean' ? (target = null, a[0]) : true;
if (target != null && typeof target != 'string' && !Array.isArray(target)) {
throw new TypeError('refreshConnection([peerId | [ids]], [iceRestart], [callback])');
}
var ids = target == null ? null : Array.isArray(target) ? target : [target];
var self = this;
var rc = self._m ? self._call('sky_refresh', ids && JSON.stringify(ids), iceRestart ? 1 : 0) : -2;
var err = null;
try { self._check(rc); } catch (e) { err = e; }
if (callback) {
self._safe(callback, err ? [err, null] : [null, {listOfPeers: ids || self._otherPeers()}]);
} else if (err) throw err;
};
P.getConnectionStatus = function(target, callback) {
if (typeof target == 'function') { callback = target; target = null; }
var self = this;
var ids = target == null ? self._otherPeers() : Array.isArray(target) ? target : [target];
var stats = {};
var done = Promise.all(ids.map(function(id) {
var h = self._m ? self._call('sky_peer_pc', String(id)) : 0;
return (h ? self._m.skyStats(h) : Promise.resolve(null)).then(function(s) { stats[id] = s; });
})).then(function() { return {listOfPeers: ids, connectionStats: stats}; });
if (typeof callback == 'function') {
done.then(function(r) { self._safe(callback, [null, r]); }, function(e) { self._safe(callback, [e, null]); });
}
return done;
};
P._otherPeers = function() {
var self = this._m ? this._text('sky_self_id') : null;
return Object.keys(this.getPeersInRoom()).filter(function(id) { return id != self; });
};
P.lockRoom = function() { this._lock(1); };
P.unlockRoom = function() { this._lock(0); };
P._lock = function(on) {
if (!this._m) throw skyError('wrong_state', 'skymesh: not in a room');
this._check(this._m._sky_lock(on));
};
P.close = function() {
var self = this;
self._inited = false;
self._later(function() { self._m._sky_close(); });
};
(function(P) {
P._mediaArgs = function(args) {
var m = this._m;
args.forEach(function(a, i) { if (a && a.$stream != null) args[i] = m.skyStream(a.$stream); });
};
function skyConstraints(o) {
function kind(x) {
if (!x || typeof x != 'object') return !!x;
var c = {};
if (x.resolution) { c.width = x.resolution.width; c.height = x.resolution.height; }
['frameRate', 'deviceId', 'facingMode'].forEach(function(k) { if (x[k] != null) c[k] = x[k]; });
return c;
}
return {audio: kind(o.audio), video: kind(o.video)};
}
function skyMediaDevices() {
return typeof navigator != 'undefined' && navigator.mediaDevices || null;
}
P._publish = function(stream, screen, fallback) {
var self = this, m = self._m, h = m.skyAdoptStream(stream);
var flags = (stream.getAudioTracks().length ? 1 : 0) | (stream.getVideoTracks().length ? 2 : 0) |
(screen ? 4 : 0) | (fallback ? 8 : 0);
self._check(self._call('sky_media_publish', h, stream.id, flags));
stream.getTracks().forEach(function(t) {
if (t.addEventListener) t.addEventListener('ended', function() {
if (m.skyStream(h) === stream) m._sky_media_stop(screen ? 1 : 0);
});
});
};
P._media = function(get, screen, callback) {
var self = this, fellBack = false;
var md = skyMediaDevices();
var got = self.ready.then(function() {
if (!md) throw skyError('no_media_devices', 'skymesh: navigator.mediaDevices is missing (not a secure context?)');
return get(md, false).catch(function(err) { // audioFallback: video refused, audio alone
var again = get(md, true);
if (!again) throw err;
fellBack = true;
return again;
});
});
return got.then(function(stream) {
self._publish(stream, screen, fellBack);
if (callback) self._safe(callback, [null, stream]);
return stream;
}, function(err) {
self._dispatch('mediaAccessError', [err, screen, fellBack]);
if (callback) self._safe(callback, [err, null]);
});
};
P.getUserMedia = function(options, callback) {
if (typeof options == 'function') { callback = options; options = null; }
var c = skyConstraints(options || {audio: true, video: true});
var fallback = this._audioFallback && c.audio && c.video;
return this._media(function(md, audioOnly) {
if (!audioOnly) return md.getUserMedia(c);
return fallback ? md.getUserMedia({audio: c.audio, video: false}) : null;
}, false, callback);
};
P.sendStream = function(stream, callback) {
if (!stream || typeof stream.getTracks != 'function') return this.getUserMedia(stream || undefined, callback);
var self = this;
self._later(function() {
try { self._publish(stream, false, false); } catch (e) { if (callback) self._safe(callback, [e, null]); return; }
if (callback) self._safe(callback, [null, stream]);
});
};
P.shareScreen = function(enableAudio, callback) {
if (typeof enableAudio == 'function') { callback = enableAudio; enableAudio = false; }
return this._media(function(md, retry) {
if (retry) return null;
if (!md.getDisplayMedia) throw skyError('no_screen_capture', 'skymesh: getDisplayMedia is missing');
return md.getDisplayMedia({video: true, audio: !!enableAudio});
}, true, callback);
};
P._stopSlot = function(screen) {
var self = this;
self._later(function() { self._m._sky_media_stop(screen); });
};
P.stopStream = function() { this._stopSlot(0); };
P.stopScreen = function() { this._stopSlot(1); };
P.muteStream = function(o) {
o = o || {};
function v(x) { return x === undefined ? -1 : x ? 1 : 0; }
var self = this;
self._later(function() { self._m._sky_media_mute(v(o.audioMuted), v(o.videoMuted)); });
};
P.enableAudio = function() { this.muteStream({audioMuted: false}); };
P.disableAudio = function() { this.muteStream({audioMuted: true}); };
P.enableVideo = function() { this.muteStream({videoMuted: false}); };
P.disableVideo = function() { this.muteStream({videoMuted: true}); };
P.getPeersStream = function() {
if (!this._m) return {};
var ids = JSON.parse(this._text('sky_media_streams')), out = {}, m = this._m;
Object.keys(ids).forEach(function(id) { out[id] = m.skyStream(ids[id]); });
return out;
};
function attachMediaStream(element, stream) {
element.srcObject = stream || null;
element.autoplay = true;
if (stream && element.play) element.play().catch(function() {});
return element;
}
Skyway.attachMediaStream = attachMediaStream;
if (typeof window != 'undefined' && !window.attachMediaStream) window.attachMediaStream = attachMediaStream;
})(Skyway.prototype);
(function(P) {
P.DATA_TRANSFER_STATE = Skyway.DATA_TRANSFER_STATE = {
UPLOAD_REQUEST: 'request', USER_UPLOAD_REQUEST: 'userRequest', UPLOAD_STARTED: 'uploadStarted',
DOWNLOAD_STARTED: 'downloadStarted', UPLOADING: 'uploading', DOWNLOADING: 'downloading',
UPLOAD_COMPLETED: 'uploadCompleted', DOWNLOAD_COMPLETED: 'downloadCompleted', REJECTED: 'rejected',
USER_REJECTED: 'userRejected', CANCEL: 'cancel', ERROR: 'error', START_ERROR: 'startError'
};
P.DATA_TRANSFER_DATA_TYPE = Skyway.DATA_TRANSFER_DATA_TYPE = {
BINARY_STRING: 'binaryString', ARRAY_BUFFER: 'arrayBuffer', BLOB: 'blob', STRING: 'string', DATA_URL: 'dataURL'
};
P.DATA_TRANSFER_SESSION_TYPE = Skyway.DATA_TRANSFER_SESSION_TYPE = {BLOB: 'blob', DATA_URL: 'dataURL'};
function options(a) {
var o = {timeout: 0, targets: null, callback: null};
a.forEach(function(v) {
if (typeof v == 'number') o.timeout = Math.max(0, Math.round(v));
else if (typeof v == 'string' || Array.isArray(v)) o.targets = Array.isArray(v) ? v : [v];
else if (typeof v == 'function') o.callback = v;
});
return o;
}
function isBlob(d) { return typeof Blob != 'undefined' && d instanceof Blob; }
function base64(u8) {
if (typeof Buffer == 'function') return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('base64');
var s = '';
for (var i = 0; i < u8.length; i += 32768) s += String.fromCharCode.apply(null, u8.subarray(i, i + 32768));
return btoa(s);
}
P._xferStart = function(bytes, orig, name, mime, o, dataUrl) {
var self = this, src = self._xferSeq = (self._xferSeq || 0) + 1;
if (!self._m) throw skyError('wrong_state', 'skymesh: not in a room');
var x = self._m.skyXfer;
x.src[src] = bytes;
bytes.skyOrig = orig;
self._xferCb = self._xferCb || {};
self._xferCb[src] = o.callback; // before the call: its events may come during it
var rc = self._call('sky_send_data', src, bytes.length, name, mime, o.timeout, dataUrl ? 1 : 0,
o.targets && JSON.stringify(o.targets));
if (rc > 0) return;
delete x.src[src];
delete self._xferCb[src];
try { self._check(rc); } catch (e) {
if (o.callback) self._safe(o.callback, [e, null]);
else throw e;
}
};
P.sendBlobData = function(data) {
var o = options([].slice.call(arguments, 1)), self = this;
var bytes = skyBytes(data);
var name = data && typeof data.name == 'string' ? data.name : '';
var mime = data && typeof data.type == 'string' ? data.type : '';
if (bytes) return self._xferStart(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), data, name, mime, o, false);
if (!isBlob(data)) throw new TypeError('sendBlobData(): data must be a Blob, File, Buffer, typed array or ArrayBuffer');
return self._xferStart({blob: data, length: data.size}, data, name, mime, o, false);
};
P.sendURLData = function(url) {
var o = options([].slice.call(arguments, 1));
var m = typeof url == 'string' && /^data:([^,;]*)((?:;[^,;]*)*?)(;base64)?,(.*)$/s.exec(url);
if (!m) throw new TypeError('sendURLData(): a data: URL string is required');
var bytes;
if (m[3]) {
if (typeof Buffer == 'function') bytes = new Uint8Array(Buffer.from(m[4], 'base64'));
else bytes = Uint8Array.from(atob(m[4]), function(ch) { return ch.charCodeAt(0); });
} else {
bytes = new TextEncoder().encode(decodeURIComponent(m[4]));
}
this._xferStart(bytes, url, '', m[1] || 'text/plain', o, true);
};
P.acceptDataTransfer = function(peerId, transferId, accept) {
if (!this._m) throw skyError('wrong_state', 'skymesh: not in a room');
this._check(this._call('sky_respond_data', String(peerId), String(transferId), accept === false ? 0 : 1));
};
P.respondBlobRequest = P.acceptDataTransfer; // SkylinkJS's older name
P.cancelDataTransfer = function(peerId, transferId) {
if (!this._m) throw skyError('wrong_state', 'skymesh: not in a room');
this._check(this._call('sky_cancel_data', String(peerId), String(transferId)));
};
P.getCurrentDataTransfers = function() {
return this._m ? JSON.parse(this._text('sky_data_transfers')) : {};
};
P._xferData = function(info) {
var x = this._m.skyXfer;
if (info.$src != null) {
var s = x.src[info.$src];
delete info.$src;
return s ? s.skyOrig : null;
}
var k = x.sink[info.$sink] || (x.sink[info.$sink] = this._m.nodeBuffers ? {buf: Buffer.alloc(0)} : {parts: []});
if (!('data' in k)) {
if (info.dataType == 'dataURL') {
var u8 = k.buf || new Uint8Array(k.parts.reduce(function(n, p) { return n + p.length; }, 0));
if (!k.buf) k.parts.reduce(function(at, p) { u8.set(p, at); return at + p.length; }, 0);
k.data = 'data:' + (info.mimeType || 'text/plain') + ';base64,' + base64(u8);
} else {
k.data = k.buf || new Blob(k.parts, {type: info.mimeType || ''});
}
k.parts = k.buf = null;
}
return k.data;
};
P._xferDispatch = function(name, args) {
var x = this._m && this._m.skyXfer;
if (!x) return false;
if (name == '_xferRelease') {
delete x[args[1] ? 'sink' : 'src'][args[0]];
return true;
}
if (name == '_xferDone') {
var cb = this._xferCb && this._xferCb[args[0]];
if (this._xferCb) delete this._xferCb[args[0]];
var result = {transferId: args[1], transferInfo: args[3], listOfPeers: args[4]};
if (cb && args[2]) {
var e = skyError('transfer_failed', 'skymesh: the transfer did not complete for every peer');
e.transferId = args[1];
e.transferInfo = args[3];
e.listOfPeers = args[4];
e.transferErrors = args[2];
this._safe(cb, [e, null]);
} else if (cb) this._safe(cb, [null, result]);
return true;
}
var info = args[3];
if ((name == 'incomingData' || name == 'dataTransferState') && info && (info.$sink != null || info.$src != null)) {
var sink = info.$sink, data = this._xferData(info);
delete info.$sink;
info.data = data;
if (name == 'incomingData') {
args[0] = data;
if (sink != null) delete x.sink[sink]; // the app's now
}
}
return false;
};
})(Skyway.prototype);
export default Skyway;
export { Skyway, Skyway as Skylink };
