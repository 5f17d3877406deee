// Placeholder until the module lands.
namespace cairn::cluster { int ModulePlaceholder() { return 0; } }  // namespace cairn::cluster
