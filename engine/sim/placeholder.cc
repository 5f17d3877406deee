// Placeholder until the module lands.
namespace cairn::sim { int ModulePlaceholder() { return 0; } }  // namespace cairn::sim
