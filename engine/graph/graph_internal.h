#pragma once
// Internal to engine/graph: principal classification shared by relations.cc and its tests.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/graph/relations.h"
#include "engine/store/case_store.h"

namespace cairn::graph {

// Sample event ids kept per relation: the first four and the last.
inline constexpr size_t kMaxSamples = 5;

// Calls add(id) for each integer of a relation's sample_events, the JSON array of integers
// DeriveRelations writes ("[1,2,3]").
template <class F>
void ForEachSampleId(std::string_view text, F&& add) {
  int64_t value = 0;
  bool in_number = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      in_number = true;
    } else {
      if (in_number) add(value);
      value = 0;
      in_number = false;
    }
  }
  if (in_number) add(value);
}

// The principal vertex of an event.
struct PrincipalRef {
  std::string kind;     // kKindUser, ...
  std::string key;      // entities.key
  std::string label;    // display name
  std::string type;     // CloudTrail userIdentity.type as logged (or implied by the ARN)
  std::string account;  // account id, when known
  std::string role_arn;   // sessions: the role they were assumed from
  std::string role_name;
};

// Classifies the actor columns of an event (event.h contract); nullopt when the event has no
// principal (Apache logs, generic lines, CloudTrail records without identity).
std::optional<PrincipalRef> ClassifyPrincipal(std::string_view source_type,
                                              std::string_view actor_arn,
                                              std::string_view actor_type,
                                              std::string_view actor_name,
                                              std::string_view account);

// How DeriveRelations splits its scan of the new events (tests force the parallel path on small
// cases with it). A range of at least parallel_scan_min events is split among scan_threads
// threads (0: the hardware's, at most 4), each reading through a connection of its own; cases in
// memory are always scanned on one.
struct DeriveTuning {
  int64_t parallel_scan_min = 200000;
  unsigned scan_threads = 0;
};
Status DeriveRelations(store::CaseStore& store, DeriveStats* stats, const DeriveTuning& tuning);

}  // namespace cairn::graph
