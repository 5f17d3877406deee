#include "engine/correlate/activity.h"

#include <nlohmann/json.hpp>

#include "engine/common/strings.h"

namespace cairn::correlate {
namespace {

// Credential calls whose record says which status they set. Parsing the raw record is only worth
// it for these.
bool CarriesStatus(std::string_view action) {
  return EndsWith(action, "AccessKey") || EndsWith(action, "SigningCertificate") ||
         EndsWith(action, "SSHPublicKey") || EndsWith(action, "ServiceSpecificCredential");
}

std::string StatusFromRaw(const std::string& raw) {
  nlohmann::json record = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object()) return {};
  auto read = [&](std::initializer_list<const char*> path) -> std::string {
    const nlohmann::json* node = &record;
    for (const char* key : path) {
      if (!node->is_object()) return {};
      auto it = node->find(key);
      if (it == node->end()) return {};
      node = &*it;
    }
    return node->is_string() ? node->get<std::string>() : std::string();
  };
  std::string status = read({"requestParameters", "status"});
  if (status.empty()) status = read({"responseElements", "accessKey", "status"});
  return status;
}

}  // namespace

Activity FromEvent(int64_t row_id, const store::Event& event, std::string source) {
  Activity a;
  a.id = row_id;
  a.time = event.time;
  a.source = std::move(source);
  a.event_id = event.event_id;
  a.actor_arn = event.actor_arn;
  a.actor_type = event.actor_type;
  a.actor_name = event.actor_name;
  a.access_key = event.access_key;
  a.action = event.action;
  a.resource = event.resource;
  a.target_user = event.target_user;
  a.bucket = event.bucket;
  a.source_ip = event.source_ip;
  a.outcome = event.outcome;
  a.error_code = event.error_code;
  a.status = event.status;
  if (event.source_type == store::SourceType::kCloudTrail && CarriesStatus(event.action)) {
    a.new_status = StatusFromRaw(event.raw);
  }
  return a;
}

std::string PrincipalOf(const Activity& activity) {
  if (!activity.actor_arn.empty()) return activity.actor_arn;
  return activity.actor_name;
}

bool MatchesPrincipal(const Activity& activity, std::string_view principal) {
  if (principal.empty()) return false;
  return activity.actor_arn == principal || EqualsIgnoreCase(activity.actor_name, principal) ||
         activity.access_key == principal;
}

}  // namespace cairn::correlate
