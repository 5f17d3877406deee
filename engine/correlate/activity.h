#pragma once
// The plain inputs every correlator works on: one event as a correlator sees it (Activity), a
// point of a per-minute time series (SeriesPoint) and a geolocated place (Place). They hold no
// SQLite or Boost types: the caller (the playbook runner, a test) fetches events from the case
// and converts them with FromEvent, then passes them in.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/common/time.h"
#include "engine/store/event.h"

namespace cairn::correlate {

// One event, reduced to what correlation needs. Empty strings mean "absent".
struct Activity {
  int64_t id = 0;           // the event's row id in the case (what findings cite)
  TimeMs time = 0;          // UTC epoch milliseconds
  std::string source;       // where it came from (_sourceName or file), for evidence; may be empty
  std::string event_id;     // CloudTrail eventID, if any
  std::string actor_arn;    // principal ARN
  std::string actor_type;   // IAMUser, AssumedRole, Root, AWSService, Anonymous, ...
  std::string actor_name;   // user (or role/session) name
  std::string access_key;   // access key id used to sign the request
  std::string action;       // CloudTrail eventName, S3 operation, HTTP method
  std::string resource;     // for IAM *AccessKey events: the key acted on (store::Event::resource)
  std::string target_user;  // IAM user acted on
  std::string new_status;   // status set by the call (UpdateAccessKey Status=Inactive, ...)
  std::string bucket;
  std::string source_ip;  // client address, or an AWS service name
  std::string outcome;    // "success" / "failure"
  std::string error_code;
  int status = 0;  // HTTP status, 0 = none
};

// Converts a stored event. `row_id` is its id in the case; `source` names its origin for evidence.
// For CloudTrail credential calls the new status is read from the raw record
// (requestParameters.status, else responseElements.accessKey.status); a raw text that is not JSON
// simply leaves new_status empty. Never fails.
Activity FromEvent(int64_t row_id, const store::Event& event, std::string source = {});

// The principal an activity is attributed to: the ARN when present, else the actor name, else ""
// (anonymous requests belong to no principal).
std::string PrincipalOf(const Activity& activity);

// True when `principal` names the actor of `activity`: equal to its ARN, or to its actor name
// (ASCII case-insensitive, as IAM names are), or to the access key id that signed it.
bool MatchesPrincipal(const Activity& activity, std::string_view principal);

// One bucket of a count time series. `minute` is the bucket start (UTC ms); any bucket width can be
// used as long as the caller says so (see SpikeParams::bucket_ms).
struct SeriesPoint {
  TimeMs minute = 0;
  int64_t count = 0;
  bool operator==(const SeriesPoint&) const = default;
};

// Where an address is, as far as the caller's geolocation knows.
struct Place {
  bool found = false;        // false: unknown to the database
  std::string country_code;  // ISO 3166-1 alpha-2
  std::string country_name;
  std::string city;
  std::optional<double> latitude;   // degrees
  std::optional<double> longitude;  // degrees
  std::string network;              // matched network ("81.2.69.142/31") or AS; "" = derive from IP
};

// Geolocation callback. Called only with valid public IP literals (see address.h); may be called
// once per distinct address per correlator run. Must not throw.
using GeoLookup = std::function<Place(std::string_view ip)>;

}  // namespace cairn::correlate
