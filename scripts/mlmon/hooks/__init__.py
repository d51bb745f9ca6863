"""Claude Code hook logic. The programs in the plugin's hooks/ directory are thin entries into
these modules; everything they decide is decided here, where it is tested."""
