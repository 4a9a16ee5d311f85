/* ICE configuration (see ice_config.h): merging the app's and the server's
 * servers, SkylinkJS's filters, relay-only configurations, candidate filters. */
#include "ice_config.h"

#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "json_util.h"

bool sky_ice_prefs_init(sky_ice_prefs *prefs) {
  memset(prefs, 0, sizeof *prefs);
  prefs->enable_turn = prefs->enable_stun = true;
  prefs->allow_host = prefs->allow_srflx = prefs->allow_relay = true;
  prefs->app_servers = sky_strdup("[]"); /* owner: prefs */
  return prefs->app_servers != NULL;
}

void sky_ice_prefs_clear(sky_ice_prefs *prefs) {
  free(prefs->app_servers);
  free(prefs->server_servers);
  free(prefs->override_servers);
  memset(prefs, 0, sizeof *prefs);
}

/* A JSON array of servers as compact text: an array as is, one object wrapped. */
static char *servers_text(const cJSON *v) {
  if (cJSON_IsObject(v)) {
    cJSON *wrap = cJSON_CreateArray(); /* owner: here */
    cJSON_AddItemToArray(wrap, cJSON_Duplicate(v, true));
    char *text = cJSON_PrintUnformatted(wrap);
    cJSON_Delete(wrap);
    return text;
  }
  return cJSON_IsArray(v) ? cJSON_PrintUnformatted(v) : NULL;
}

static bool read_bool(const cJSON *obj, const char *name, bool *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!v || cJSON_IsNull(v)) return true;
  if (!cJSON_IsBool(v)) return false;
  *out = cJSON_IsTrue(v);
  return true;
}

static bool read_transport(const cJSON *obj, sky_turn_transport *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "TURNServerTransport");
  if (!v || cJSON_IsNull(v)) return true;
  static const char *const names[] = {"any", "udp", "tcp", "none", "all"};
  for (int i = 0; cJSON_IsString(v) && i < 5; i++) {
    if (strcmp(v->valuestring, names[i]) == 0) {
      *out = (sky_turn_transport)i;
      return true;
    }
  }
  return false;
}

bool sky_ice_prefs_set_options(sky_ice_prefs *prefs, const char *options_json) {
  if (!options_json) return true;
  cJSON *o = cJSON_Parse(options_json); /* owner: here */
  sky_ice_prefs next = *prefs; /* strings still owned by prefs until committed */
  char *app = NULL, *override = NULL;
  bool ok = cJSON_IsObject(o) && read_bool(o, "enableTURNServer", &next.enable_turn) &&
            read_bool(o, "enableSTUNServer", &next.enable_stun) && read_bool(o, "forceTURN", &next.force_turn) &&
            read_transport(o, &next.transport);
  const cJSON *filter = ok ? cJSON_GetObjectItemCaseSensitive(o, "filterCandidatesType") : NULL;
  if (filter && !cJSON_IsNull(filter)) {
    ok = cJSON_IsObject(filter) && read_bool(filter, "host", &next.allow_host) &&
         read_bool(filter, "srflx", &next.allow_srflx) && read_bool(filter, "relay", &next.allow_relay);
  }
  const cJSON *servers = ok ? cJSON_GetObjectItemCaseSensitive(o, "iceServers") : NULL;
  if (servers && !cJSON_IsNull(servers) && !(ok = cJSON_IsArray(servers) && (app = servers_text(servers)))) ok = false;
  const cJSON *over = ok ? cJSON_GetObjectItemCaseSensitive(o, "iceServer") : NULL;
  if (over && !cJSON_IsNull(over) && !(override = servers_text(over))) ok = false;
  cJSON_Delete(o);
  if (!ok) {
    free(app);
    free(override);
    return false;
  }
  if (app) {
    free(prefs->app_servers);
    next.app_servers = app; /* owner: prefs */
  }
  if (override) {
    free(prefs->override_servers);
    next.override_servers = override; /* owner: prefs */
  }
  *prefs = next;
  return true;
}

/* A compact copy of a JSON array text, or NULL (not an array, or no memory). */
static char *array_copy(const char *json) {
  cJSON *v = cJSON_Parse(json); /* owner: here */
  char *copy = cJSON_IsArray(v) ? cJSON_PrintUnformatted(v) : NULL; /* owner: the caller */
  cJSON_Delete(v);
  return copy;
}

bool sky_ice_prefs_set_app(sky_ice_prefs *prefs, const char *servers_json) {
  char *copy = array_copy(servers_json); /* owner: prefs */
  if (!copy) return false;
  free(prefs->app_servers);
  prefs->app_servers = copy;
  return true;
}

bool sky_ice_prefs_set_server(sky_ice_prefs *prefs, const char *servers_json) {
  char *copy = NULL; /* owner: prefs */
  if (servers_json && !(copy = array_copy(servers_json))) return false;
  free(prefs->server_servers);
  prefs->server_servers = copy;
  return true;
}

typedef enum { URL_STUN, URL_TURN, URL_OTHER } url_kind;

static url_kind kind_of(const char *url) {
  if (strncmp(url, "stun:", 5) == 0 || strncmp(url, "stuns:", 6) == 0) return URL_STUN;
  if (strncmp(url, "turn:", 5) == 0 || strncmp(url, "turns:", 6) == 0) return URL_TURN;
  return URL_OTHER;
}

/* Adds url with its ?transport replaced by transport ("" strips it). */
static void add_with_transport(cJSON *urls, const char *url, const char *transport) {
  const char *q = strchr(url, '?');
  size_t base = q ? (size_t)(q - url) : strlen(url);
  size_t n = base + 16 + strlen(transport);
  char *out = malloc(n); /* owner: here, copied into urls */
  if (!out) return;
  memcpy(out, url, base);
  out[base] = '\0';
  if (*transport) {
    strcat(out, "?transport=");
    strcat(out, transport);
  }
  cJSON_AddItemToArray(urls, cJSON_CreateString(out));
  free(out);
}

/* The TURN URL's own transport: "udp", "tcp", or "" when it names none. */
static const char *transport_of(const char *url) {
  const char *t = strstr(url, "transport=");
  if (!t) return strncmp(url, "turns:", 6) == 0 ? "tcp" : "";
  return strncmp(t + 10, "tcp", 3) == 0 ? "tcp" : "udp";
}

static void add_url(const sky_ice_prefs *prefs, bool relay_only, cJSON *urls, const char *url) {
  switch (kind_of(url)) {
  case URL_STUN:
    if (prefs->enable_stun && !relay_only) cJSON_AddItemToArray(urls, cJSON_CreateString(url));
    return;
  case URL_OTHER:
    return; /* not a URL an RTCPeerConnection takes */
  case URL_TURN:
    break;
  }
  if (!prefs->enable_turn) return;
  const char *own = transport_of(url);
  bool secure = strncmp(url, "turns:", 6) == 0;
  switch (prefs->transport) {
  case SKY_TURN_ANY: cJSON_AddItemToArray(urls, cJSON_CreateString(url)); break;
  case SKY_TURN_UDP:
    if (!secure && strcmp(own, "tcp") != 0) cJSON_AddItemToArray(urls, cJSON_CreateString(url));
    break;
  case SKY_TURN_TCP:
    if (secure || strcmp(own, "tcp") == 0) cJSON_AddItemToArray(urls, cJSON_CreateString(url));
    break;
  case SKY_TURN_NONE: add_with_transport(urls, url, ""); break;
  case SKY_TURN_ALL:
    if (!secure) add_with_transport(urls, url, "udp");
    add_with_transport(urls, url, "tcp");
    break;
  }
}

/* Appends the filtered servers of a JSON array text to out. */
static void add_servers(const sky_ice_prefs *prefs, bool relay_only, cJSON *out, const char *text) {
  cJSON *list = text ? cJSON_Parse(text) : NULL; /* owner: here */
  const cJSON *server;
  cJSON_ArrayForEach(server, list) {
    if (!cJSON_IsObject(server)) continue;
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(server, "urls");
    if (!u) u = cJSON_GetObjectItemCaseSensitive(server, "url"); /* the old spelling */
    cJSON *urls = cJSON_CreateArray();
    if (cJSON_IsString(u)) add_url(prefs, relay_only, urls, u->valuestring);
    const cJSON *one;
    if (cJSON_IsArray(u)) cJSON_ArrayForEach(one, u) if (cJSON_IsString(one)) add_url(prefs, relay_only, urls, one->valuestring);
    if (cJSON_GetArraySize(urls) == 0) {
      cJSON_Delete(urls);
      continue;
    }
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddItemToObject(entry, "urls", urls);
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(server, "username");
    const cJSON *cred = cJSON_GetObjectItemCaseSensitive(server, "credential");
    if (cJSON_IsString(user)) cJSON_AddStringToObject(entry, "username", user->valuestring);
    if (cJSON_IsString(cred)) cJSON_AddStringToObject(entry, "credential", cred->valuestring);
    cJSON_AddItemToArray(out, entry);
  }
  cJSON_Delete(list);
}

static cJSON *server_list(const sky_ice_prefs *prefs, bool relay_only) {
  cJSON *servers = cJSON_CreateArray();
  add_servers(prefs, relay_only, servers, prefs->override_servers ? prefs->override_servers : prefs->server_servers);
  add_servers(prefs, relay_only, servers, prefs->app_servers);
  return servers;
}

bool sky_ice_prefs_has_turn(const sky_ice_prefs *prefs) {
  cJSON *servers = server_list(prefs, true); /* relay only keeps TURN URLs alone */
  bool any = cJSON_GetArraySize(servers) > 0;
  cJSON_Delete(servers);
  return any;
}

char *sky_ice_config_build(const sky_ice_prefs *prefs, bool relay_only) {
  relay_only = relay_only || prefs->force_turn;
  cJSON *cfg = cJSON_CreateObject(); /* owner: here */
  cJSON_AddItemToObject(cfg, "iceServers", server_list(prefs, relay_only));
  cJSON_AddStringToObject(cfg, "iceTransportPolicy", relay_only ? "relay" : "all");
  char *text = cJSON_PrintUnformatted(cfg); /* owner: the caller */
  cJSON_Delete(cfg);
  return text;
}

bool sky_ice_candidate_allowed(const sky_ice_prefs *prefs, const char *candidate, bool relay_only) {
  if (!candidate || !*candidate) return true;
  const char *typ = strstr(candidate, " typ ");
  if (!typ) return false; /* not a candidate line */
  typ += 5;
  if (strncmp(typ, "relay", 5) == 0) return prefs->allow_relay;
  if (relay_only) return false;
  if (strncmp(typ, "host", 4) == 0) return prefs->allow_host;
  if (strncmp(typ, "srflx", 5) == 0 || strncmp(typ, "prflx", 5) == 0) return prefs->allow_srflx;
  return false;
}
