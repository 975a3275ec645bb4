// The operators' console (placeholder; built in issue 15).
