"""Study files: ``spec`` parses and validates ``studies/*.toml``; ``scaffold`` writes a new one."""
