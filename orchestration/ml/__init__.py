"""Models trained on the point-in-time feature table; their scores feed the model_score tags."""
