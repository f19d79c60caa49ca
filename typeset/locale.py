"""Every word the project itself adds to a document, in the document's language.

A German manuscript must not get an English "References", "Contents" or "Figure 1". The
manuscript's `lang` (BCP 47, e.g. `de-DE`) picks the table; an unknown language falls back
to English. Front-matter keys the author sets (`reference-section-title`, `toc-title`,
`abstract-title`, Quarto's `crossref:` prefixes) always win over these defaults.

The words follow the conventions of each language's academic publishing (and, for the
cross-reference words, the translations Quarto ships), declared once here.
"""

from __future__ import annotations

from typing import Final

# term -> English; the keys every language table below may define.
ENGLISH: Final[dict[str, str]] = {
    "references": "References",
    "bibliography": "Bibliography",
    "contents": "Contents",
    "abstract": "Abstract",
    "keywords": "Keywords",
    "figure": "Figure",
    "table": "Table",
    "equation": "Equation",
    "section": "Section",
    "chapter": "Chapter",
    "appendix": "Appendix",
    "list-of-figures": "List of Figures",
    "list-of-tables": "List of Tables",
    "how-to-cite": "How to cite this work",
    "corresponding-author": "Corresponding author",
    "footnotes": "Notes",
}

TERMS: Final[dict[str, dict[str, str]]] = {
    "en": ENGLISH,
    "de": {
        "references": "Literaturverzeichnis",
        "bibliography": "Literaturverzeichnis",
        "contents": "Inhaltsverzeichnis",
        "abstract": "Zusammenfassung",
        "keywords": "Schlüsselwörter",
        "figure": "Abbildung",
        "table": "Tabelle",
        "equation": "Gleichung",
        "section": "Abschnitt",
        "chapter": "Kapitel",
        "appendix": "Anhang",
        "list-of-figures": "Abbildungsverzeichnis",
        "list-of-tables": "Tabellenverzeichnis",
        "how-to-cite": "Zitiervorschlag",
        "corresponding-author": "Korrespondenzautor",
        "footnotes": "Anmerkungen",
    },
    "fr": {
        "references": "Références",
        "bibliography": "Bibliographie",
        "contents": "Table des matières",
        "abstract": "Résumé",
        "keywords": "Mots-clés",
        "figure": "Figure",
        "table": "Tableau",
        "equation": "Équation",
        "section": "Section",
        "chapter": "Chapitre",
        "appendix": "Annexe",
        "list-of-figures": "Table des figures",
        "list-of-tables": "Liste des tableaux",
        "how-to-cite": "Pour citer cet article",
        "corresponding-author": "Auteur correspondant",
        "footnotes": "Notes",
    },
    "es": {
        "references": "Referencias",
        "bibliography": "Bibliografía",
        "contents": "Índice",
        "abstract": "Resumen",
        "keywords": "Palabras clave",
        "figure": "Figura",
        "table": "Tabla",
        "equation": "Ecuación",
        "section": "Sección",
        "chapter": "Capítulo",
        "appendix": "Apéndice",
        "list-of-figures": "Índice de figuras",
        "list-of-tables": "Índice de tablas",
        "how-to-cite": "Cómo citar",
        "corresponding-author": "Autor de correspondencia",
        "footnotes": "Notas",
    },
    "it": {
        "references": "Riferimenti bibliografici",
        "bibliography": "Bibliografia",
        "contents": "Indice",
        "abstract": "Sommario",
        "keywords": "Parole chiave",
        "figure": "Figura",
        "table": "Tabella",
        "equation": "Equazione",
        "section": "Sezione",
        "chapter": "Capitolo",
        "appendix": "Appendice",
        "list-of-figures": "Elenco delle figure",
        "list-of-tables": "Elenco delle tabelle",
        "how-to-cite": "Come citare",
        "corresponding-author": "Autore corrispondente",
        "footnotes": "Note",
    },
    "pt": {
        "references": "Referências",
        "bibliography": "Bibliografia",
        "contents": "Sumário",
        "abstract": "Resumo",
        "keywords": "Palavras-chave",
        "figure": "Figura",
        "table": "Tabela",
        "equation": "Equação",
        "section": "Seção",
        "chapter": "Capítulo",
        "appendix": "Apêndice",
        "list-of-figures": "Lista de figuras",
        "list-of-tables": "Lista de tabelas",
        "how-to-cite": "Como citar",
        "corresponding-author": "Autor correspondente",
        "footnotes": "Notas",
    },
    "nl": {
        "references": "Referenties",
        "bibliography": "Bibliografie",
        "contents": "Inhoudsopgave",
        "abstract": "Samenvatting",
        "keywords": "Trefwoorden",
        "figure": "Figuur",
        "table": "Tabel",
        "equation": "Vergelijking",
        "section": "Sectie",
        "chapter": "Hoofdstuk",
        "appendix": "Bijlage",
        "list-of-figures": "Lijst van figuren",
        "list-of-tables": "Lijst van tabellen",
        "how-to-cite": "Zo citeert u dit werk",
        "corresponding-author": "Corresponderend auteur",
        "footnotes": "Noten",
    },
    "sv": {
        "references": "Referenser",
        "bibliography": "Litteraturförteckning",
        "contents": "Innehåll",
        "abstract": "Sammanfattning",
        "keywords": "Nyckelord",
        "figure": "Figur",
        "table": "Tabell",
        "equation": "Ekvation",
        "section": "Avsnitt",
        "chapter": "Kapitel",
        "appendix": "Bilaga",
        "list-of-figures": "Figurer",
        "list-of-tables": "Tabeller",
        "how-to-cite": "Så citerar du verket",
        "corresponding-author": "Korresponderande författare",
        "footnotes": "Noter",
    },
    "pl": {
        "references": "Bibliografia",
        "bibliography": "Bibliografia",
        "contents": "Spis treści",
        "abstract": "Streszczenie",
        "keywords": "Słowa kluczowe",
        "figure": "Rysunek",
        "table": "Tabela",
        "equation": "Równanie",
        "section": "Rozdział",
        "chapter": "Rozdział",
        "appendix": "Dodatek",
        "list-of-figures": "Spis rysunków",
        "list-of-tables": "Spis tabel",
        "how-to-cite": "Jak cytować",
        "corresponding-author": "Autor korespondencyjny",
        "footnotes": "Przypisy",
    },
    "ru": {
        "references": "Список литературы",
        "bibliography": "Список литературы",
        "contents": "Содержание",
        "abstract": "Аннотация",
        "keywords": "Ключевые слова",
        "figure": "Рисунок",
        "table": "Таблица",
        "equation": "Уравнение",
        "section": "Раздел",
        "chapter": "Глава",
        "appendix": "Приложение",
        "list-of-figures": "Список иллюстраций",
        "list-of-tables": "Список таблиц",
        "how-to-cite": "Как цитировать",
        "corresponding-author": "Автор для переписки",
        "footnotes": "Примечания",
    },
    "zh": {
        "references": "参考文献",
        "bibliography": "参考文献",
        "contents": "目录",
        "abstract": "摘要",
        "keywords": "关键词",
        "figure": "图",
        "table": "表",
        "equation": "式",
        "section": "节",
        "chapter": "章",
        "appendix": "附录",
        "list-of-figures": "插图目录",
        "list-of-tables": "表格目录",
        "how-to-cite": "引用本文",
        "corresponding-author": "通讯作者",
        "footnotes": "注释",
    },
    "ja": {
        "references": "参考文献",
        "bibliography": "参考文献",
        "contents": "目次",
        "abstract": "要旨",
        "keywords": "キーワード",
        "figure": "図",
        "table": "表",
        "equation": "式",
        "section": "節",
        "chapter": "章",
        "appendix": "付録",
        "list-of-figures": "図目次",
        "list-of-tables": "表目次",
        "how-to-cite": "引用方法",
        "corresponding-author": "責任著者",
        "footnotes": "注",
    },
    "ko": {
        "references": "참고문헌",
        "bibliography": "참고문헌",
        "contents": "목차",
        "abstract": "초록",
        "keywords": "주제어",
        "figure": "그림",
        "table": "표",
        "equation": "식",
        "section": "절",
        "chapter": "장",
        "appendix": "부록",
        "list-of-figures": "그림 목차",
        "list-of-tables": "표 목차",
        "how-to-cite": "인용 방법",
        "corresponding-author": "교신저자",
        "footnotes": "주",
    },
}

# Languages whose numbered labels take no space between word and number ("图1", "表2").
NO_SPACE_BEFORE_NUMBER: Final[frozenset[str]] = frozenset({"zh", "ja"})


def language_of(lang: str | None) -> str:
    """The primary language subtag of a BCP 47 tag (`de-DE` -> `de`), lower-cased."""
    if not lang:
        return "en"
    return lang.replace("_", "-").split("-")[0].strip().lower() or "en"


def term(lang: str | None, key: str) -> str:
    """The word for `key` in `lang`'s table, else English; KeyError for an unknown key."""
    english = ENGLISH[key]
    return TERMS.get(language_of(lang), ENGLISH).get(key, english)


def numbered(lang: str | None, key: str, number: str) -> str:
    """"Figure 1", "Abbildung 1", "图1": a term followed by its number."""
    return joined(lang, term(lang, key), number)


def joined(lang: str | None, word: str, number: str) -> str:
    """`word` and `number` as `lang` writes them: a no-break space between, none in CJK."""
    separator = "" if language_of(lang) in NO_SPACE_BEFORE_NUMBER else "\u00a0"
    return f"{word}{separator}{number}"
