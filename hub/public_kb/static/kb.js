// Choosing a language is enough: no need to press the button (which shows without script).
document.getElementById("kb-language")?.addEventListener("change", (event) => event.target.form.submit());
