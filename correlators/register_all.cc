#include "correlators/register_all.h"

namespace cairn::correlators {

Status RegisterAll(correlate::Registry& registry) {
  CAIRN_TRY(registry.Register(MakeSpikeOnsetCorrelator()));
  CAIRN_TRY(registry.Register(MakeChangeNearOnsetCorrelator()));
  CAIRN_TRY(registry.Register(MakeLocationBaselineCorrelator()));
  CAIRN_TRY(registry.Register(MakeImpossibleTravelCorrelator()));
  CAIRN_TRY(registry.Register(MakeActorProfileCorrelator()));
  return Ok();
}

}  // namespace cairn::correlators
