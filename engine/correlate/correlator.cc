#include "engine/correlate/correlator.h"

#include <algorithm>

#include "engine/common/strings.h"

namespace cairn::correlate {

Status Registry::Register(std::unique_ptr<Correlator> correlator) {
  if (correlator == nullptr) return Error::InvalidArgument("cannot register a null correlator");
  std::string name = correlator->name();
  if (name.empty()) return Error::InvalidArgument("a correlator must have a name");
  auto it = std::lower_bound(correlators_.begin(), correlators_.end(), name,
                             [](const auto& c, const std::string& n) { return c->name() < n; });
  if (it != correlators_.end() && (*it)->name() == name) {
    return Error::InvalidArgument("correlator '" + name + "' is already registered");
  }
  correlators_.insert(it, std::move(correlator));
  return Ok();
}

const Correlator* Registry::Find(std::string_view name) const {
  auto it = std::lower_bound(correlators_.begin(), correlators_.end(), name,
                             [](const auto& c, std::string_view n) { return c->name() < n; });
  if (it != correlators_.end() && (*it)->name() == name) return it->get();
  return nullptr;
}

Result<const Correlator*> Registry::Get(std::string_view name) const {
  if (const Correlator* c = Find(name)) return c;
  Error err = Error::NotFound("unknown correlator '" + std::string(name) + "'");
  std::string best;
  size_t best_distance = 4;
  for (const auto& c : correlators_) {
    size_t d = EditDistance(name, c->name());
    if (d < best_distance) {
      best_distance = d;
      best = c->name();
    }
  }
  if (!best.empty()) err.WithHelp("did you mean '" + best + "'?");
  err.WithNote("known correlators: " + Join(Names(), ", "));
  return err;
}

std::vector<std::string> Registry::Names() const {
  std::vector<std::string> names;
  names.reserve(correlators_.size());
  for (const auto& c : correlators_) names.push_back(c->name());
  return names;
}

}  // namespace cairn::correlate
