#include "engine/correlate/finding.h"

namespace cairn::correlate {

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
  }
  return "info";
}

Evidence EvidenceOf(const Activity& activity, std::string note) {
  Evidence e;
  e.id = activity.id;
  e.time = activity.time;
  e.source = activity.source;
  e.event_id = activity.event_id;
  e.note = std::move(note);
  return e;
}

}  // namespace cairn::correlate
