/* The server side of session resume (docs/resilience.md): resume tokens sent
 * to authenticated peers, and a hello carrying one taken back to its peer id
 * and room. The token format and the crypto are in resume.h. */
#ifndef SKY_SERVER_RESUME_DISPATCH_H
#define SKY_SERVER_RESUME_DISPATCH_H

#include <stdbool.h>

#include "connection.h"
#include "resume.h"

/* Sends c a fresh token for its peer id and current room ("" outside one),
 * valid for --resume-ttl seconds. After welcome, joined and left, and from the
 * keepalive timer once the last one is half its lifetime old. */
void sky_resume_send_token(sky_conn *c);

/* At hello, once the application key is accepted. When hello.resume is a
 * valid token for this app key, sets c->peer_id to the token's id, fills
 * *claim and returns true. If another socket still holds that id (it died
 * without the server noticing), c takes it over: the old socket is dropped
 * without a word, and c inherits its userData and, when the old socket was in
 * the token's room, its place there, so the room sees no peer_left. (Had it
 * moved on to another room, that room is told peer_left "disconnected".)
 * Returns false, changing nothing, for no token or one that does not verify
 * (logged at -vv): the caller makes a new session. With bound_room (not
 * NULL: the room SkylinkJS credentials allow), a token that names another
 * room is refused the same way. */
bool sky_resume_take_over(sky_conn *c, const sky_msg *hello, const char *bound_room, sky_resume_claim *claim);

/* After the resumed welcome: puts c back into the token's room (a locked room
 * too; created again if it is gone) and sends joined (ref "resume") and a
 * token, then peer_joined to the others; or, when the room is full or cannot
 * be created, an error (ref "resume", not fatal) and a token for no room. */
void sky_resume_restore_room(sky_conn *c, const sky_resume_claim *claim);

#endif
