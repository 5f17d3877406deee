#pragma once
// The correlator framework: the generic input, the Correlator interface and the Registry that
// maps names to correlators. The concrete correlators live in correlators/ (outside the engine)
// and are registered by correlators::RegisterAll; playbooks look them up by name. This module
// holds no detection of its own.

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/correlate/activity.h"
#include "engine/correlate/finding.h"
#include "engine/correlate/params.h"

namespace cairn::correlate {

// Everything a correlator may be given. Each correlator documents which members it reads and
// ignores the others. Borrowed by Run for the duration of the call only.
struct CorrelatorInput {
  std::vector<SeriesPoint> series;        // a count per minute (sparse allowed)
  std::vector<Activity> events;           // events of the incident window
  std::vector<Activity> baseline_events;  // events of the baseline window
  std::optional<TimeMs> onset;            // an onset found earlier (change_near_onset)
  std::set<std::string> dependencies;     // keys / principals the failing requests depended on
  std::string principal;                  // one principal (actor_profile)
  GeoLookup geo;                          // geolocation; may be empty for correlators not using it
  Params params;                          // named parameters (see docs/correlators.md)
};

class Correlator {
 public:
  virtual ~Correlator() = default;
  // Stable snake_case name used by playbooks ("spike_onset").
  virtual std::string name() const = 0;
  // One line for `cairn playbook` listings.
  virtual std::string description() const = 0;
  // Runs over the input. Returns the findings ranked (most important first), possibly none.
  // Errors: kInvalidArgument for a missing required input or a malformed/unknown parameter.
  // Must be pure: no I/O, no clock, no global state; thread-safe for concurrent calls.
  virtual Result<std::vector<Finding>> Run(const CorrelatorInput& input) const = 0;
};

// Correlators by name. Owns them. Not thread-safe for registration; lookups are const.
class Registry {
 public:
  // kInvalidArgument when the name is empty or already registered.
  Status Register(std::unique_ptr<Correlator> correlator);
  // nullptr when unknown. The pointer lives as long as the registry.
  const Correlator* Find(std::string_view name) const;
  // Like Find, but kNotFound with a "did you mean" help and the known names.
  Result<const Correlator*> Get(std::string_view name) const;
  // Registered names, sorted.
  std::vector<std::string> Names() const;
  size_t size() const { return correlators_.size(); }

 private:
  std::vector<std::unique_ptr<Correlator>> correlators_;  // kept sorted by name
};

}  // namespace cairn::correlate
