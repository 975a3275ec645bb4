//! The embedded Japan Post table and its lookup (owned by the postal work).
