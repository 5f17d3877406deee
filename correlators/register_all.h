#pragma once
// The concrete correlators, by name, for playbooks. The engine never includes this header: the CLI
// calls RegisterAll on the registry it hands to the playbook runner.
//
//   spike_onset         series                                   -> one "spike" finding per spike
//   change_near_onset   events, onset, dependencies              -> one "change" finding per change
//   location_baseline   baseline_events, events, geo             -> "new_location" + "locations"
//   impossible_travel   events, geo                              -> one "travel" finding per hop
//   actor_profile       events, baseline_events, principal       -> one "profile" finding
//
// The parameters each accepts (the playbook step's `with:`) are in docs/correlators.md.

#include <memory>

#include "engine/common/result.h"
#include "engine/correlate/correlator.h"

namespace cairn::correlators {

std::unique_ptr<correlate::Correlator> MakeSpikeOnsetCorrelator();
std::unique_ptr<correlate::Correlator> MakeChangeNearOnsetCorrelator();
std::unique_ptr<correlate::Correlator> MakeLocationBaselineCorrelator();
std::unique_ptr<correlate::Correlator> MakeImpossibleTravelCorrelator();
std::unique_ptr<correlate::Correlator> MakeActorProfileCorrelator();

// Registers all of the above. Errors: kInvalidArgument when one is already registered.
Status RegisterAll(correlate::Registry& registry);

}  // namespace cairn::correlators
