#pragma once
// Deriving the entity graph tables (entities, relations) from the events table of a case.
// See docs/graph.md for the vertex and edge kinds and where each comes from.
//
// Entity kinds (entities.kind), with their key:
//   user       IAM user                    key: user ARN (arn:aws:iam::ACCOUNT:user/NAME)
//   role       IAM role                    key: role ARN (derived from assumed-role sessions)
//   session    assumed-role session        key: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
//   root       account root                key: arn:aws:iam::ACCOUNT:root
//   service    AWS service (invokedBy)     key: service DNS name (s3.amazonaws.com)
//   anonymous  unauthenticated requester   key: "anonymous"
//   principal  any other identity (federated user, SAML, web identity, ...): key: ARN or name
//   key        access key                  key: access key id (AKIA..., ASIA...)
//   ip         IP address                  key: the address as logged
//   bucket     S3 bucket                   key: bucket name
//   host       web server / virtual host   key: host name
//   user_agent HTTP user agent             key: the agent string
//
// Relation kinds (relations.kind), src -> dst:
//   authenticated-with  principal -> key   (the key signed the principal's requests)
//   acted-from          principal -> ip, key -> ip
//   requested           ip/principal/key -> bucket (attrs: counts by status and error code)
//   changed-credential  principal -> key   (Create/Update/DeleteAccessKey; attrs.changes lists
//                                           each call with its CloudTrail eventID and new status)
//   owns                user -> key        (key calls' userName + key id, and userIdentity)
//   logged-in-from      principal -> ip    (ConsoleLogin; errors = failed logins)
//   served              host -> ip         (Apache access/error logs)
//   assumed-role        session -> role
//   used-agent          principal -> user_agent, or ip -> user_agent when there is no principal
// Every relation has first_seen/last_seen (event time, UTC ms), count (events), errors (failed
// events), sample_events (JSON array of up to 5 events.id: always the relation's first and last
// event by id, and the first and last of other aggregated groups in between) and attrs (a JSON
// object or NULL).

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/common/result.h"
#include "engine/store/case_store.h"

namespace cairn::graph {

// Entity kinds (entities.kind).
inline constexpr std::string_view kKindUser = "user";
inline constexpr std::string_view kKindRole = "role";
inline constexpr std::string_view kKindSession = "session";
inline constexpr std::string_view kKindRoot = "root";
inline constexpr std::string_view kKindService = "service";
inline constexpr std::string_view kKindAnonymous = "anonymous";
inline constexpr std::string_view kKindPrincipal = "principal";
inline constexpr std::string_view kKindKey = "key";
inline constexpr std::string_view kKindIp = "ip";
inline constexpr std::string_view kKindBucket = "bucket";
inline constexpr std::string_view kKindHost = "host";
inline constexpr std::string_view kKindUserAgent = "user_agent";

// Relation kinds (relations.kind).
inline constexpr const char* kEdgeAuthenticatedWith = "authenticated-with";
inline constexpr const char* kEdgeActedFrom = "acted-from";
inline constexpr const char* kEdgeRequested = "requested";
inline constexpr const char* kEdgeChangedCredential = "changed-credential";
inline constexpr const char* kEdgeOwns = "owns";
inline constexpr const char* kEdgeLoggedInFrom = "logged-in-from";
inline constexpr const char* kEdgeServed = "served";
inline constexpr const char* kEdgeAssumedRole = "assumed-role";
inline constexpr const char* kEdgeUsedAgent = "used-agent";

// True for the kinds that are principals (user, role, session, root, service, anonymous,
// principal).
bool IsPrincipalKind(std::string_view kind);

// meta keys kept by DeriveRelations.
inline constexpr const char* kRelationsUptoKey = "relations_upto";        // last events.id folded in
inline constexpr const char* kRelationsVersionKey = "relations_version";  // derivation rules version

// What one DeriveRelations call did.
struct DeriveStats {
  int64_t events = 0;           // events folded in by this call
  int64_t entities = 0;         // entities inserted or updated
  int64_t relations = 0;        // relations inserted or updated
  int64_t upto = 0;             // the watermark after the call (max events.id folded in)
  bool rebuilt = false;         // tables were rebuilt because the derivation rules changed
  // Where the time went (wall clock): reading and grouping the new events, folding the groups
  // into entities and relations, writing the tables.
  int64_t groups = 0;           // groups of events with the same identity columns
  double scan_seconds = 0;
  double fold_seconds = 0;
  double write_seconds = 0;
};

// Folds every event with id > the watermark (meta "relations_upto") into the entities and
// relations tables, in one transaction that also advances the watermark: it is idempotent
// (a second call does nothing) and crash-safe (a killed call leaves the previous state).
// Its cost is one scan of the typed columns of the new events (grouped in memory on interned
// values), plus one write per entity and relation touched.
// When the derivation rules changed since the tables were written (meta "relations_version"), the
// tables are rebuilt from all events.
// Must be called outside a transaction on a store opened read-write.
// Errors: kIo (SQLite), kInternal.
Status DeriveRelations(store::CaseStore& store);
Status DeriveRelations(store::CaseStore& store, DeriveStats* stats);

// True when the entities/relations tables do not cover every event of the case (the watermark is
// behind max(events.id), or the rules changed). Works on a read-only store.
Result<bool> RelationsBehind(store::CaseStore& store);

// True when text looks like an IPv4/IPv6 literal as logged. Lenient about the leading zeros that
// some anonymised samples contain ("211.9.016.253"); false for AWS service names
// ("s3.amazonaws.com", "AWS Internal").
bool LooksLikeIp(std::string_view text);

}  // namespace cairn::graph
