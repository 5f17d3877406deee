// Placeholder until the module lands.
namespace cairn::query { int ModulePlaceholder() { return 0; } }  // namespace cairn::query
