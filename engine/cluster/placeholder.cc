// Minimal placeholder implementation until the clustering issue lands: every distinct message is
// its own signature. Replaced by the real algorithm.
#include <map>

#include "engine/cluster/log_cluster.h"

namespace cairn::cluster {

struct LogClusterer::Impl {
  std::map<std::string, size_t> index;
  std::vector<Signature> sigs;
  std::vector<size_t> assign;
  bool keep = false;
};

LogClusterer::LogClusterer() : impl_(std::make_unique<Impl>()) {}
LogClusterer::~LogClusterer() = default;
void LogClusterer::set_keep_assignments(bool keep) { impl_->keep = keep; }

size_t LogClusterer::Add(std::string_view message) {
  auto [it, inserted] = impl_->index.emplace(std::string(message), impl_->sigs.size());
  if (inserted) impl_->sigs.push_back({"", std::string(message), 0, 5});
  impl_->sigs[it->second].count++;
  if (impl_->keep) impl_->assign.push_back(it->second);
  return it->second;
}

std::vector<Signature> LogClusterer::Signatures() const { return impl_->sigs; }
std::vector<size_t> LogClusterer::Assignments() const { return impl_->assign; }
std::string PrepareForClustering(std::string_view raw) { return std::string(raw); }

}  // namespace cairn::cluster
