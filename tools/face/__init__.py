"""The talking face: expressions, lip-sync, the embedded 2D avatar renderer and the EAT adapter."""
