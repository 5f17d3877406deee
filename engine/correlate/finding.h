#pragma once
// What a correlator reports through the registry: a Finding is one sentence a human can read, a
// severity, the evidence (events with ids, times and sources) and named values a playbook can bind
// (`fields`, e.g. "onset" -> "2024-01-19T09:45:00Z").

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/common/time.h"
#include "engine/correlate/activity.h"

namespace cairn::correlate {

enum class Severity { kInfo, kLow, kMedium, kHigh };

// "info", "low", "medium", "high".
const char* SeverityName(Severity severity);

// One piece of evidence: an event of the case.
struct Evidence {
  int64_t id = 0;  // row id in the case; 0 when the evidence is not one event (a series)
  TimeMs time = 0;
  std::string source;    // _sourceName / file; may be empty
  std::string event_id;  // CloudTrail eventID, if any
  std::string note;      // why it is cited ("UpdateAccessKey by ..."); may be empty
  bool operator==(const Evidence&) const = default;
};

// Evidence for an activity, with an optional note.
Evidence EvidenceOf(const Activity& activity, std::string note = {});

struct Finding {
  std::string correlator;  // name of the correlator that produced it
  std::string kind;        // short machine label: "spike", "change", "new_location", ...
  Severity severity = Severity::kInfo;
  double score = 0;      // ranking within one correlator's output; higher first
  std::string sentence;  // plain text; built from untrusted log values, escape when rendering
  std::vector<Evidence> evidence;
  std::map<std::string, std::string> fields;  // values for playbook variables
};

}  // namespace cairn::correlate
