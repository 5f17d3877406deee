// Placeholder until the correlators land.
namespace cairn::correlators { int ModulePlaceholder() { return 0; } }  // namespace cairn::correlators
