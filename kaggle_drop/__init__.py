"""The Kaggle *Anime Recommendation Database 2020* into the pipeline: download, verify, upload a drop."""
