package bot

// isCrisis reports whether text shows signs of crisis. STUB.
func isCrisis(text string) bool { return false }
