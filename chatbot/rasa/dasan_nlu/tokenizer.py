"""Rasa 3.6 tokenizer for the hub's six languages (ko, en, zh, ja, vi, mn).

Registered in config.yml as ``dasan_nlu.tokenizer.MultilingualTokenizer``; Rasa finds it
because `rasa train` / `rasa run` put the working directory (chatbot/rasa) on sys.path.
The splitting rules and the reason for not using WhitespaceTokenizer are in segment.py.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from dasan_nlu.segment import split_words


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MultilingualTokenizer(Tokenizer):
    """Word pieces for spaced scripts, single characters for CJK ideographs."""

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return None  # any language

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        tokens = [Token(piece, start) for piece, start in split_words(text)]
        if not tokens and text.strip():
            # Only symbols or emoji: keep the whole text, as WhitespaceTokenizer does.
            tokens = [Token(text, 0)]
        return self._apply_token_pattern(tokens)
