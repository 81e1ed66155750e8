def word_lengths(sentence: str) -> dict[str, int]:
    """Map each distinct word of `sentence` to its length."""
    return {word: len(word) for word in sentence.split()}
