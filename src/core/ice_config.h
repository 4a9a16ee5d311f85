/* ICE configuration: which STUN/TURN servers a peer connection gets, and which
 * candidates may be used, from three sources:
 *   - the app's iceServers (init's iceServers),
 *   - the server's, with time-limited TURN credentials (welcome.iceServers,
 *     renewed by ice_servers),
 *   - SkylinkJS's options: enableTURNServer, enableSTUNServer, forceTURN,
 *     TURNServerTransport, filterCandidatesType, iceServer (an override that
 *     replaces the server's list).
 * Ownership: every char * in sky_ice_prefs is heap, owned by the prefs and
 * freed by sky_ice_prefs_clear(); strings passed in are copied. */
#ifndef SKYMESH_ICE_CONFIG_H
#define SKYMESH_ICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* SkylinkJS's TURN_TRANSPORT values. */
typedef enum sky_turn_transport {
  SKY_TURN_ANY = 0, /* "any": the URIs as given */
  SKY_TURN_UDP,     /* "udp": only ?transport=udp (or none given) */
  SKY_TURN_TCP,     /* "tcp": only ?transport=tcp */
  SKY_TURN_NONE,    /* "none": URIs with their ?transport stripped */
  SKY_TURN_ALL      /* "all": each URI for both udp and tcp */
} sky_turn_transport;

typedef struct sky_ice_prefs {
  bool enable_turn;            /* default true */
  bool enable_stun;            /* default true */
  bool force_turn;             /* relay only, from the first connection */
  sky_turn_transport transport;
  bool allow_host, allow_srflx, allow_relay; /* filterCandidatesType (true = used) */
  char *app_servers;           /* JSON array, "[]" when none */
  char *server_servers;        /* JSON array from the signaling server, NULL = none */
  char *override_servers;      /* JSON array (iceServer), NULL = none */
} sky_ice_prefs;

/* Defaults: everything enabled, no servers. false when out of memory. */
bool sky_ice_prefs_init(sky_ice_prefs *prefs);
void sky_ice_prefs_clear(sky_ice_prefs *prefs);

/* Applies init's options, a JSON object (NULL: defaults):
 *   {iceServers: [...], enableTURNServer, enableSTUNServer, forceTURN,
 *    TURNServerTransport: "any"|"udp"|"tcp"|"none"|"all",
 *    filterCandidatesType: {host, srflx, relay}, iceServer: {...} | [...]}
 * Returns false (prefs unchanged) when a field has the wrong type. */
bool sky_ice_prefs_set_options(sky_ice_prefs *prefs, const char *options_json);

/* The app's list (init's iceServers): a JSON array; false (unchanged) if not. */
bool sky_ice_prefs_set_app(sky_ice_prefs *prefs, const char *servers_json);

/* The server's list (welcome.iceServers / ice_servers); NULL forgets it. */
bool sky_ice_prefs_set_server(sky_ice_prefs *prefs, const char *servers_json);

/* Whether some TURN server is configured after every filter: a relay-only
 * attempt can then succeed. */
bool sky_ice_prefs_has_turn(const sky_ice_prefs *prefs);

/* RTCConfiguration JSON for a new peer connection, malloc'd (caller frees):
 * {"iceServers":[...],"iceTransportPolicy":"all"|"relay"}. relay_only asks for
 * a relay-only connection (a retry after a failed one); force_turn implies it.
 * NULL when out of memory. */
char *sky_ice_config_build(const sky_ice_prefs *prefs, bool relay_only);

/* Whether an ICE candidate line may be used: its "typ" is allowed by
 * filterCandidatesType and, when relay_only (pass it for local candidates of
 * a relay-only connection, never for remote ones), is relay. The empty
 * end-of-candidates line is always allowed. */
bool sky_ice_candidate_allowed(const sky_ice_prefs *prefs, const char *candidate, bool relay_only);

#endif
