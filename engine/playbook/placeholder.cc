// Placeholder until the module lands.
namespace cairn::playbook { int ModulePlaceholder() { return 0; } }  // namespace cairn::playbook
