/* Media on the client core (media.c): streams attached to every connection,
 * renegotiation through the core's own offers, glare during renegotiation by
 * the polite / impolite roles, remote streams announced once and ended once,
 * mute state as peerInfo.mediaStatus. Driven through the fake environment. */
#include "client_fake.h"
#include "media.h"

/* Real-looking SDP: the core tells a renegotiation (same fingerprint, same
 * ICE ufrag) from an ICE restart (new ufrag) from a fresh connection (new
 * fingerprint) by these two lines. */
#define SDP(kind, fp, ufrag) "v=0 " kind "\r\na=ice-ufrag:" ufrag "\r\na=fingerprint:sha-256 " fp "\r\n"

#define CAM 7    /* the environment's handle of our camera stream */
#define SCREEN 8 /* ... of our screen */
#define REMOTE 21

/* A peer that joined after us, answered, channel open; lines cleared. */
static int connected_answering(fake *f, const char *id) {
  sky_client *c = f->client;
  feed_peer(c, SKY_MSG_PEER_JOINED, id, NULL);
  feed_sdp(c, SKY_MSG_OFFER, id, SDP("offer", "F1", "u1"));
  int pc = sky_client_peer_handle(c, id);
  sky_client_on_remote_description_set(c, pc, true);
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 answer", 10);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "open");
  assert_int_equal(sky_client_peer_state(c, id), SKY_PEER_CONNECTED);
  clear_lines(f);
  return pc;
}

/* A peer already in the room when we joined: we offered, its answer came
 * (not applied yet). */
static int offer_answered(fake *f, const char *id) {
  sky_client *c = f->client;
  const char *ids[] = {id};
  in_room(f, 1, ids);
  int pc = sky_client_peer_handle(c, id);
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 offer", 9);
  feed_sdp(c, SKY_MSG_ANSWER, id, SDP("answer", "F1", "u1"));
  return pc;
}

/* ... answer applied, channel open; lines cleared. */
static int connected_offering(fake *f, const char *id) {
  sky_client *c = f->client;
  int pc = offer_answered(f, id);
  sky_client_on_remote_description_set(c, pc, true);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "open");
  clear_lines(f);
  return pc;
}

static void media_frame(sky_client *c, int pc, const char *streams, bool audio_muted, bool video_muted) {
  char frame[512];
  snprintf(frame, sizeof frame, "{\"t\":\"media\",\"streams\":[%s],\"audioMuted\":%s,\"videoMuted\":%s}", streams,
           audio_muted ? "true" : "false", video_muted ? "true" : "false");
  sky_client_on_channel_message(c, pc, frame, strlen(frame), true);
}

static void test_publish_then_join_offers_with_the_stream(void **state) {
  fake *f = *state;
  sky_client *c = authed(f);
  assert_int_equal(sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_AUDIO | SKY_MEDIA_VIDEO), SKY_OK);
  EXPECT(f, "emit mediaAccessSuccess", "[{\"$stream\":7},false,false,\"cam-1\"]");
  assert_int_equal(count(f, "emit incomingStream", NULL), 0); /* not in a room yet */
  const char *ids[] = {PEER_B};
  assert_int_equal(sky_client_join(c, "room1"), SKY_OK);
  clear_lines(f);
  feed_joined(c, "room1", 1, ids);
  /* self's stream is announced once we are in, and the offer carries it */
  EXPECT(f, "emit incomingStream", "[\"" SELF "\",{\"$stream\":7},true,");
  int add = find(f, "add_stream 1 7", NULL), offer = find(f, "create_offer 1", NULL);
  assert_true(add >= 0 && offer > add);
  /* peerInfo says what we send */
  EXPECT(f, "emit peerJoined", "\"settings\":{\"data\":true,\"audio\":true,\"video\":{\"screenshare\":false}}");
  EXPECT(f, "emit peerJoined", "\"mediaStatus\":{\"audioMuted\":false,\"videoMuted\":false}");
}

/* A fresh channel carries our media state only when it says something: a
 * peer's view of us starts empty, so the empty state is sent only to a peer
 * once told otherwise (a chat-only mesh sends no media frame at all). */
static void test_empty_media_state_not_sent_until_it_changes(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_B, NULL);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, SDP("offer", "F1", "u1"));
  int pc = sky_client_peer_handle(c, PEER_B);
  sky_client_on_remote_description_set(c, pc, true);
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 answer", 10);
  sky_client_on_pc_state(c, pc, SKY_PCS_CHANNEL, "open");
  EXPECT(f, "emit dataChannelState", "open");
  assert_int_equal(count(f, "dc_send", "\"t\":\"media\""), 0);
  clear_lines(f);
  /* something to say: said; back to nothing: said too, B was told otherwise */
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_VIDEO);
  EXPECT(f, "dc_send 1 {\"t\":\"media\",\"streams\":[{\"id\":\"cam-1\"", NULL);
  clear_lines(f);
  assert_int_equal(sky_client_media_stop(c, false), SKY_OK);
  EXPECT(f, "dc_send 1 {\"t\":\"media\",\"streams\":[]", NULL);
  /* a peer that never heard otherwise gets no frame */
  clear_lines(f);
  int pc_c = connected_answering(f, PEER_C);
  assert_true(pc_c > 0);
  sky_client_on_pc_state(c, pc_c, SKY_PCS_CHANNEL, "open");
  assert_int_equal(count(f, "dc_send", NULL), 0);
  /* muted with nothing sent is something to say */
  sky_client_media_mute(c, 1, 0);
  EXPECT(f, "dc_send 2", "\"audioMuted\":true");
}

static void test_answerer_attaches_after_applying_the_offer(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_AUDIO | SKY_MEDIA_VIDEO);
  clear_lines(f);
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_B, NULL);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, SDP("offer", "F1", "u1"));
  int set = find(f, "set_remote 1 offer", NULL), add = find(f, "add_stream 1 7", NULL);
  int answer = find(f, "create_answer 1", NULL);
  assert_true(set >= 0 && add > set && answer > add);
}

static void test_stream_added_mid_call_renegotiates_on_the_same_connection(void **state) {
  fake *f = *state;
  in_room(f, 0, NULL);
  sky_client *c = f->client;
  int pc = connected_answering(f, PEER_B);
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_VIDEO);
  EXPECT(f, "add_stream 1 7", NULL);
  EXPECT(f, "dc_send 1 {\"t\":\"media\",\"streams\":[{\"id\":\"cam-1\",\"audio\":false,\"video\":true,\"screen\":false}]",
         NULL);
  EXPECT(f, "emit peerUpdated", "\"video\":{\"screenshare\":false}");
  clear_lines(f);
  sky_client_on_negotiation_needed(c, pc);
  EXPECT(f, "create_offer 1", NULL);
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 reoffer", 11);
  EXPECT(f, "send ", "\"type\":\"offer\"");
  feed_sdp(c, SKY_MSG_ANSWER, PEER_B, SDP("answer", "F1", "u1"));
  EXPECT(f, "set_remote 1 answer", NULL);
  sky_client_on_remote_description_set(c, pc, true);
  /* same connection, channel untouched, no restart reported */
  assert_int_equal(count(f, "pc_close", NULL), 0);
  assert_int_equal(count(f, "pc_create", NULL), 0);
  assert_int_equal(count(f, "dataChannelState", NULL), 0);
  assert_int_equal(count(f, "peerRestart", NULL), 0);
  assert_int_equal(sky_client_peer_state(c, PEER_B), SKY_PEER_CONNECTED);
  /* chat still flows on the channel */
  assert_int_equal(sky_client_send_p2p(c, "\"still here\"", NULL), SKY_OK);
  EXPECT(f, "dc_send 1", "still here");
}

static void test_remote_renegotiation_is_not_a_restart(void **state) {
  fake *f = *state;
  int pc = connected_offering(f, PEER_B);
  sky_client *c = f->client;
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, SDP("offer", "F1", "u1"));
  EXPECT(f, "set_remote 1 offer", NULL);
  EXPECT(f, "create_answer 1", NULL);
  assert_int_equal(count(f, "peerRestart", NULL), 0);
  assert_int_equal(count(f, "pc_close", NULL), 0);
  /* an ICE restart (new ufrag) still is one */
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 answer", 10);
  clear_lines(f);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, SDP("offer", "F1", "u2"));
  EXPECT(f, "emit peerRestart", NULL);
}

/* SkylinkJS's bug: a stream sent right after joining never reached the other
 * peer. The change comes while the first handshake is still out: the offer
 * follows as soon as the connection is stable, and the receiving side treats
 * it as a renegotiation even though its channel is not open yet. */
static void test_stream_sent_right_after_joining_is_offered_once_stable(void **state) {
  fake *f = *state;
  int pc = offer_answered(f, PEER_B);
  sky_client *c = f->client;
  /* the answer is not applied yet when the stream comes */
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_AUDIO | SKY_MEDIA_VIDEO);
  sky_client_on_negotiation_needed(c, pc); /* the stack asks (it may do so early) */
  clear_lines(f);
  sky_client_on_remote_description_set(c, pc, true);
  EXPECT(f, "create_offer 1", NULL);
  assert_int_equal(count(f, "create_offer", NULL), 1);

  /* the receiving side: an offer on the same connection before its channel opened */
  teardown(state);
  setup(state);
  f = *state;
  c = in_room(f, 0, NULL);
  feed_peer(c, SKY_MSG_PEER_JOINED, PEER_B, NULL);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, SDP("offer", "F1", "u1"));
  pc = sky_client_peer_handle(c, PEER_B);
  sky_client_on_remote_description_set(c, pc, true);
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 answer", 10);
  clear_lines(f);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, SDP("offer", "F1", "u1"));
  assert_int_equal(count(f, "pc_close", NULL), 0);
  EXPECT(f, "set_remote 1 offer", NULL);
  EXPECT(f, "create_answer 1", NULL);
}

/* Glare during renegotiation, we are polite (SELF < PEER_B): our offer is
 * rolled back, theirs answered, and ours goes out again afterwards. */
static void test_renegotiation_glare_polite_rolls_back_and_offers_again(void **state) {
  fake *f = *state;
  int pc = connected_offering(f, PEER_B);
  sky_client *c = f->client;
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_VIDEO);
  sky_client_on_negotiation_needed(c, pc);
  EXPECT(f, "create_offer 1", NULL);
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 ours", 8);
  clear_lines(f);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, SDP("offer", "F1", "u1"));
  EXPECT(f, "set_remote 1 offer", "(rollback first)");
  EXPECT(f, "create_answer 1", NULL);
  assert_int_equal(count(f, "create_offer", NULL), 0);
  sky_client_on_remote_description_set(c, pc, true);
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 answer", 10);
  EXPECT(f, "create_offer 1", NULL); /* ours again, now that it is stable */
  assert_int_equal(count(f, "pc_close", NULL), 0);
}

/* ... and we are impolite (PEER_0 < SELF): theirs is ignored, ours stands. */
static void test_renegotiation_glare_impolite_keeps_its_offer(void **state) {
  fake *f = *state;
  int pc = connected_offering(f, PEER_0);
  sky_client *c = f->client;
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_VIDEO);
  sky_client_on_negotiation_needed(c, pc);
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 ours", 8);
  clear_lines(f);
  feed_sdp(c, SKY_MSG_OFFER, PEER_0, SDP("offer", "F1", "u1"));
  assert_int_equal(count(f, "set_remote", NULL), 0);
  assert_int_equal(count(f, "create_answer", NULL), 0);
  feed_sdp(c, SKY_MSG_ANSWER, PEER_0, SDP("answer", "F1", "u1"));
  EXPECT(f, "set_remote 1 answer", NULL);
  assert_int_equal(count(f, "pc_close", NULL), 0);
}

/* SkylinkJS's bug: incomingStream fired only sometimes. Here it fires once
 * the tracks arrived and the peer listed the stream, in either order, once. */
/* The flake of issue 12, as traced (docs/protocol.md, Negotiation). A (wrtc,
 * sends video, answered B's first offer) and B (node-datachannel, no media,
 * the offerer). Just after applying A's answer, B's stack reported its
 * connection "closed" (about 1 run in 7 on a loaded machine), so B started
 * over on a fresh connection while A's renegotiation offer for its video (old
 * fingerprint, old ufrag) was on its way. B, polite, rolled its fresh offer
 * back and answered A's on the fresh connection; A refused that answer
 * ("Failed to set SSL role for the transport") and, not being the offerer,
 * dropped B. Here we are B. */
static void test_offer_for_the_connection_we_gave_up_is_not_answered(void **state) {
  fake *f = *state;
  int pc = offer_answered(f, PEER_B);
  sky_client *c = f->client;
  sky_client_on_remote_description_set(c, pc, true);
  clear_lines(f);
  sky_client_on_pc_state(c, pc, SKY_PCS_CONNECTION, "closed"); /* before the channel opened */
  EXPECT(f, "pc_close 1", NULL);
  EXPECT(f, "create_offer 2", NULL);
  clear_lines(f);
  /* A's renegotiation of the old connection arrives while our fresh offer is made */
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, SDP("offer", "F1", "u1"));
  assert_int_equal(count(f, "set_remote", NULL), 0);
  assert_int_equal(count(f, "create_answer", NULL), 0);
  assert_int_equal(count(f, "handshakeProgress", NULL), 0);
  /* our fresh offer still goes out, and A's answer to it is taken */
  sky_client_on_local_description(c, 2, SKY_SDP_OFFER, "v=0 fresh", 9);
  EXPECT(f, "send ", "\"type\":\"offer\"");
  feed_sdp(c, SKY_MSG_ANSWER, PEER_B, SDP("answer", "F2", "u2"));
  EXPECT(f, "set_remote 2 answer", NULL);
  sky_client_on_remote_description_set(c, 2, true);
  sky_client_on_pc_state(c, 2, SKY_PCS_CHANNEL, "open");
  assert_int_equal(sky_client_peer_state(c, PEER_B), SKY_PEER_CONNECTED);
  assert_int_equal(count(f, "peerLeft", NULL), 0);
}

/* What the stale rule must not catch: the other side's renegotiation that
 * comes before its answer to our first offer is applied here (same
 * fingerprint and ufrag as that answer) is answered on the same connection. */
static void test_renegotiation_before_the_answer_is_applied_is_answered(void **state) {
  fake *f = *state;
  int pc = offer_answered(f, PEER_B);
  sky_client *c = f->client;
  clear_lines(f);
  feed_sdp(c, SKY_MSG_OFFER, PEER_B, SDP("offer", "F1", "u1"));
  EXPECT(f, "set_remote 1 offer", NULL);
  EXPECT(f, "create_answer 1", NULL);
  assert_int_equal(count(f, "pc_close", NULL), 0);
  sky_client_on_remote_description_set(c, pc, true);
  assert_int_equal(count(f, "pc_close", NULL), 0);
}

/* The other half: we are A, sending video, our renegotiation offer out on a
 * connection whose channel never opened, when B's fresh offer (it started
 * over) comes. Whatever the roles, it is a new connection to answer, not a
 * glare: impolite, we used to ignore it (and wait for an answer that never
 * comes); polite, we used to apply it to the old connection. */
static void fresh_offer_while_renegotiating(void **state, const char *peer) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_VIDEO);
  feed_peer(c, SKY_MSG_PEER_JOINED, peer, NULL);
  feed_sdp(c, SKY_MSG_OFFER, peer, SDP("offer", "FB", "ub")); /* no media in it */
  int pc = sky_client_peer_handle(c, peer);
  sky_client_on_remote_description_set(c, pc, true);
  sky_client_on_local_description(c, pc, SKY_SDP_ANSWER, "v=0 answer", 10);
  sky_client_on_pc_state(c, pc, SKY_PCS_ICE, "connected");
  sky_client_on_negotiation_needed(c, pc); /* our video needs its own m-line */
  sky_client_on_local_description(c, pc, SKY_SDP_OFFER, "v=0 video", 9);
  clear_lines(f);
  feed_sdp(c, SKY_MSG_OFFER, peer, SDP("offer", "FB2", "ub2"));
  EXPECT(f, "pc_close 1", NULL);
  EXPECT(f, "pc_create 2", NULL);
  assert_int_equal(count(f, "(rollback first)", NULL), 0);
  int set = find(f, "set_remote 2 offer", NULL), add = find(f, "add_stream 2 7", NULL);
  assert_true(set >= 0 && add > set && find(f, "create_answer 2", NULL) > add); /* the answer carries our video */
  sky_client_on_remote_description_set(c, 2, true);
  sky_client_on_local_description(c, 2, SKY_SDP_ANSWER, "v=0 answer2", 11);
  EXPECT(f, "send ", "\"type\":\"answer\"");
  sky_client_on_pc_state(c, 2, SKY_PCS_CHANNEL, "open");
  assert_int_equal(sky_client_peer_state(c, peer), SKY_PEER_CONNECTED);
  assert_int_equal(count(f, "peerLeft", NULL), 0);
}

static void test_fresh_offer_while_renegotiating_impolite(void **state) { fresh_offer_while_renegotiating(state, PEER_0); }
static void test_fresh_offer_while_renegotiating_polite(void **state) { fresh_offer_while_renegotiating(state, PEER_B); }

static void test_remote_stream_announced_once_in_either_order(void **state) {
  fake *f = *state;
  in_room(f, 0, NULL);
  sky_client *c = f->client;
  int pc = connected_answering(f, PEER_B);
  sky_client_on_remote_stream(c, pc, REMOTE, "their-cam");
  assert_int_equal(count(f, "incomingStream", NULL), 0); /* not listed yet: is it a screen? */
  media_frame(c, pc, "{\"id\":\"their-cam\",\"audio\":true,\"video\":true,\"screen\":false}", false, false);
  EXPECT(f, "emit incomingStream", "[\"" PEER_B "\",{\"$stream\":21},false,");
  EXPECT(f, "emit incomingStream", ",false,\"their-cam\"]");
  EXPECT(f, "emit peerUpdated", "\"audio\":true,\"video\":{\"screenshare\":false}");
  media_frame(c, pc, "{\"id\":\"their-cam\",\"audio\":true,\"video\":true,\"screen\":false}", false, false);
  sky_client_on_remote_stream(c, pc, REMOTE, "their-cam");
  assert_int_equal(count(f, "emit incomingStream", NULL), 1);
  char *streams = sky_client_media_streams(c);
  assert_string_equal(streams, "{\"" PEER_B "\":21}");
  free(streams);

  /* listed first, then the tracks: a screen */
  clear_lines(f);
  media_frame(c, pc,
              "{\"id\":\"their-cam\",\"audio\":true,\"video\":true,\"screen\":false},"
              "{\"id\":\"their-screen\",\"audio\":false,\"video\":true,\"screen\":true}",
              false, false);
  assert_int_equal(count(f, "incomingStream", NULL), 0);
  sky_client_on_remote_stream(c, pc, REMOTE + 1, "their-screen");
  EXPECT(f, "emit incomingStream", ",true,\"their-screen\"]");
}

static void test_remote_stream_ends_once(void **state) {
  fake *f = *state;
  in_room(f, 0, NULL);
  sky_client *c = f->client;
  int pc = connected_answering(f, PEER_B);
  media_frame(c, pc, "{\"id\":\"cam\",\"audio\":true,\"video\":true,\"screen\":false}", false, false);
  sky_client_on_remote_stream(c, pc, REMOTE, "cam");
  clear_lines(f);
  /* the peer stops: its frame no longer lists it, then the stack removes it */
  media_frame(c, pc, "", false, false);
  EXPECT(f, "emit streamEnded", "[\"" PEER_B "\",");
  EXPECT(f, "emit streamEnded", ",false,false,\"cam\"]");
  EXPECT(f, "emit peerUpdated", "\"audio\":false,\"video\":false");
  sky_client_on_remote_stream_ended(c, pc, REMOTE);
  assert_int_equal(count(f, "streamEnded", NULL), 1);

  /* the stack first this time */
  media_frame(c, pc, "{\"id\":\"cam2\",\"audio\":true,\"video\":false,\"screen\":false}", false, false);
  sky_client_on_remote_stream(c, pc, REMOTE + 1, "cam2");
  clear_lines(f);
  sky_client_on_remote_stream_ended(c, pc, REMOTE + 1);
  media_frame(c, pc, "", false, false);
  assert_int_equal(count(f, "streamEnded", NULL), 1);
}

static void test_mute_reaches_peer_info(void **state) {
  fake *f = *state;
  in_room(f, 0, NULL);
  sky_client *c = f->client;
  int pc = connected_answering(f, PEER_B);
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_AUDIO | SKY_MEDIA_VIDEO);
  clear_lines(f);
  assert_int_equal(sky_client_media_mute(c, 1, -1), SKY_OK);
  EXPECT(f, "stream_enable 7 audio=0 video=1", NULL);
  EXPECT(f, "emit streamMuted", "[\"" SELF "\",");
  EXPECT(f, "emit peerUpdated", "\"mediaStatus\":{\"audioMuted\":true,\"videoMuted\":false}");
  EXPECT(f, "dc_send 1", "\"audioMuted\":true,\"videoMuted\":false");
  clear_lines(f);
  sky_client_media_mute(c, 1, -1); /* no change: nothing */
  assert_int_equal(f->count, 0);

  /* the other way: a peer mutes its video */
  media_frame(c, pc, "{\"id\":\"cam\",\"audio\":true,\"video\":true,\"screen\":false}", false, false);
  clear_lines(f);
  media_frame(c, pc, "{\"id\":\"cam\",\"audio\":true,\"video\":true,\"screen\":false}", false, true);
  EXPECT(f, "emit streamMuted", "[\"" PEER_B "\",");
  EXPECT(f, "emit peerUpdated", "\"mediaStatus\":{\"audioMuted\":false,\"videoMuted\":true}");
  char *info = sky_client_peer_info(c, PEER_B);
  assert_non_null(strstr(info, "\"videoMuted\":true"));
  free(info);
}

/* peerInfo.settings.video as SkylinkJS has it: resolution {width, height}
 * and frameRate of what the video track delivers, ours from the stack, a
 * peer's from its media frame; a frame without them leaves them out. */
static void test_video_settings_reach_peer_info(void **state) {
  fake *f = *state;
  f->video[0] = 640, f->video[1] = 480, f->video[2] = 30;
  in_room(f, 0, NULL);
  sky_client *c = f->client;
  int pc = connected_answering(f, PEER_B);
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_VIDEO);
  EXPECT(f, "dc_send 1 {\"t\":\"media\"", "\"width\":640,\"height\":480,\"frameRate\":30");
  char *self = sky_client_peer_info(c, NULL);
  assert_non_null(strstr(self, "\"video\":{\"screenshare\":false,\"resolution\":{\"width\":640,\"height\":480},\"frameRate\":30}"));
  free(self);
  clear_lines(f);
  media_frame(c, pc, "{\"id\":\"r1\",\"audio\":true,\"video\":true,\"screen\":false,\"width\":320,\"height\":180,\"frameRate\":15}",
              false, false);
  EXPECT(f, "emit peerUpdated", "\"video\":{\"screenshare\":false,\"resolution\":{\"width\":320,\"height\":180},\"frameRate\":15}");
  clear_lines(f);
  media_frame(c, pc, "{\"id\":\"r1\",\"audio\":true,\"video\":true,\"screen\":false,\"width\":1280,\"height\":720,\"frameRate\":15}",
              false, false);
  EXPECT(f, "emit peerUpdated", "\"resolution\":{\"width\":1280,\"height\":720}"); /* a change alone is news */
  clear_lines(f);
  media_frame(c, pc, "{\"id\":\"r1\",\"audio\":true,\"video\":true,\"screen\":false,\"width\":-3,\"height\":\"x\"}", false, false);
  char *peer = sky_client_peer_info(c, PEER_B);
  assert_non_null(strstr(peer, "\"video\":{\"screenshare\":false}"));
  free(peer);
}

static void test_stop_stream_detaches_and_stops(void **state) {
  fake *f = *state;
  in_room(f, 0, NULL);
  sky_client *c = f->client;
  connected_answering(f, PEER_B);
  assert_int_equal(sky_client_media_stop(c, false), SKY_E_STATE); /* nothing to stop */
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_VIDEO);
  sky_client_media_publish(c, SCREEN, "screen-1", SKY_MEDIA_VIDEO | SKY_MEDIA_SCREEN);
  EXPECT(f, "emit incomingStream", ",true,\"screen-1\"]");
  clear_lines(f);
  assert_int_equal(sky_client_media_stop(c, false), SKY_OK);
  EXPECT(f, "remove_stream 1 7", NULL);
  EXPECT(f, "stream_stop 7", NULL);
  EXPECT(f, "emit streamEnded", ",true,false,\"cam-1\"]");
  EXPECT(f, "emit mediaAccessStopped", "[false,false,\"cam-1\"]");
  EXPECT(f, "dc_send 1", "\"streams\":[{\"id\":\"screen-1\"");
  assert_int_equal(count(f, "remove_stream 1 8", NULL), 0);
  /* a new camera replaces nothing else; leaving stops everything */
  clear_lines(f);
  assert_int_equal(sky_client_leave(c), SKY_OK);
  EXPECT(f, "stream_stop 8", NULL);
  EXPECT(f, "emit mediaAccessStopped", "[true,false,\"screen-1\"]");
}

/* A fresh connection (refreshConnection without ICE restart): the old
 * connection's streams end, ours are attached to the new one, and the peer
 * is not joined twice. */
static void test_fresh_connection_carries_the_streams_again(void **state) {
  fake *f = *state;
  int pc = connected_offering(f, PEER_B);
  sky_client *c = f->client;
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_VIDEO);
  media_frame(c, pc, "{\"id\":\"cam\",\"audio\":true,\"video\":true,\"screen\":false}", false, false);
  sky_client_on_remote_stream(c, pc, REMOTE, "cam");
  clear_lines(f);
  const char *targets = "[\"" PEER_B "\"]";
  assert_int_equal(sky_client_refresh(c, targets, false), SKY_OK);
  EXPECT(f, "pc_close 1", NULL);
  EXPECT(f, "emit streamEnded", ",false,false,\"cam\"]");
  int add = find(f, "add_stream 2 7", NULL), offer = find(f, "create_offer 2", NULL);
  assert_true(add >= 0 && offer > add);
  int pc2 = sky_client_peer_handle(c, PEER_B);
  sky_client_on_local_description(c, pc2, SKY_SDP_OFFER, "v=0 offer", 9);
  feed_sdp(c, SKY_MSG_ANSWER, PEER_B, SDP("answer", "F2", "u9"));
  sky_client_on_remote_description_set(c, pc2, true);
  sky_client_on_pc_state(c, pc2, SKY_PCS_CHANNEL, "open");
  sky_client_on_remote_stream(c, pc2, REMOTE + 5, "cam");
  media_frame(c, pc2, "{\"id\":\"cam\",\"audio\":true,\"video\":true,\"screen\":false}", false, false);
  assert_int_equal(count(f, "emit incomingStream", NULL), 1);
  assert_int_equal(count(f, "emit peerJoined", NULL), 0);
}

/* leaveRoom(stopMediaOptions): the screen kept, the camera stopped; the
 * kept stream is ours again in the next room, and the choice was for that
 * one leave. */
static void test_leave_keeps_what_it_was_asked_to(void **state) {
  fake *f = *state;
  sky_client *c = in_room(f, 0, NULL);
  sky_client_media_publish(c, CAM, "cam-1", SKY_MEDIA_VIDEO);
  sky_client_media_publish(c, SCREEN, "screen-1", SKY_MEDIA_VIDEO | SKY_MEDIA_SCREEN);
  clear_lines(f);
  sky_client_media_stop_on_leave(c, true, false);
  assert_int_equal(sky_client_leave(c), SKY_OK);
  EXPECT(f, "stream_stop 7", NULL);
  assert_int_equal(count(f, "stream_stop 8", NULL), 0);
  feed_simple(c, SKY_MSG_LEFT);
  clear_lines(f);
  assert_int_equal(sky_client_join(c, "room1"), SKY_OK);
  feed_joined(c, "room1", 0, NULL);
  EXPECT(f, "emit incomingStream", ",true,\"screen-1\"]");
  assert_int_equal(count(f, "emit incomingStream", NULL), 1);
  clear_lines(f);
  assert_int_equal(sky_client_leave(c), SKY_OK);
  EXPECT(f, "stream_stop 8", NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define U(name) cmocka_unit_test_setup_teardown(name, setup_clock, teardown)
    U(test_publish_then_join_offers_with_the_stream),
    U(test_empty_media_state_not_sent_until_it_changes),
    U(test_answerer_attaches_after_applying_the_offer),
    U(test_stream_added_mid_call_renegotiates_on_the_same_connection),
    U(test_remote_renegotiation_is_not_a_restart),
    U(test_stream_sent_right_after_joining_is_offered_once_stable),
    U(test_renegotiation_glare_polite_rolls_back_and_offers_again),
    U(test_renegotiation_glare_impolite_keeps_its_offer),
    U(test_offer_for_the_connection_we_gave_up_is_not_answered),
    U(test_renegotiation_before_the_answer_is_applied_is_answered),
    U(test_fresh_offer_while_renegotiating_impolite),
    U(test_fresh_offer_while_renegotiating_polite),
    U(test_remote_stream_announced_once_in_either_order),
    U(test_remote_stream_ends_once),
    U(test_mute_reaches_peer_info),
    U(test_video_settings_reach_peer_info),
    U(test_stop_stream_detaches_and_stops),
    U(test_fresh_connection_carries_the_streams_again),
    U(test_leave_keeps_what_it_was_asked_to),
#undef U
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
