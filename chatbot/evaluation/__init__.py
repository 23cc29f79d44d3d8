"""How well the built-in bot answers: labelled citizen questions (question → article) in six
languages, split once into a part the answer threshold is calibrated on and a held-out part
it is only measured on. `python -m chatbot.evaluation` prints accuracy per language;
`python -m chatbot.evaluation.through_rasa` puts the Rasa assistant beside it."""
