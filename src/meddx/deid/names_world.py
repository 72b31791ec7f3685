"""Names with no cue whose shape says which naming tradition they follow (de-id round 20).

The name lists (``data/first_names.txt``, ``data/surnames.txt``) hold several thousand names, but some names are
built rather than chosen from a list, and a list cannot hold them all:

- a Chinese name, surname first, then a given name of one to three syllables written in pinyin or in a Cantonese or
  Hokkien spelling ("Li Wen Hao", "Zhang Yiming", "Chen Jiahui", "Ng Wai Man", "Tan Boon Hock"); the surname must
  be one of the common ones of ``_CHINESE_SURNAMES`` and every given word must spell syllables, so "Long Term",
  "Lin Hospital" and "Ma Huang tea" (a herb: its syllables are no given name after a tea word) stay;
- a Korean name with a hyphenated given name next to a Korean surname ("Park Ji-hoon", "Seo-yeon Jung"): each part
  of the given name must spell a Korean syllable, so "Co-op Bank" is no name;
- a name joined by a word of descent: Malay and Arabic "bin", "binti", "bte", "ibn", "bint", Malaysian Indian "a/l",
  "a/p" ("Nurul Izzah binti Hamzah", "Hamid bin Rashid", "Murugan a/l Subramaniam"), and an Arabic article joined to
  the surname ("Abdulrahman al-Harbi", "Omar El-Sayed").

Words that are common English, in all capitals, or a service's word are never taken.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER as _LOW
from meddx.deid.letters import UPPER as _UP
from meddx.deid.patterns import Cand

_CHINESE_SURNAMES = frozenset("""Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Gao Lin Luo Zheng
Liang Xie Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Yuan Pan Yu Jiang Cai Jia Ding Wei Xue Ye Yan Lu Du Dai Xia
Zhong Ren Fang Shi Yao Tan Liao Zou Xiong Jin Hao Kong Bai Cui Kang Mao Qiu Qin Gu Hou Shao Meng Wan Duan Lei Qian Yin
Shen Su Fu Cheng Wen Chan Wong Cheung Lau Lee Ng Ho Leung Lam Tsang Chow Yip Tse Tam Kwok Mak Lo Chu Fung Siu Lai Poon
Yeung Kwan Choi Chung Hui Yuen Lui Lim Ong Goh Chua Koh Teo Ang Yeo Tay Toh Chong Chia Seah Foo Khoo Soh Heng Quek
Liew Yap Tiong Au""".split())
_PINYIN_SYLLABLE = (r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
                    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|in|un|er|ia|ie|iu|ua|uo|ui"
                    r"|ue|a|o|e|i|u|ü)")
# Cantonese and Hokkien spellings of given-name syllables (Hong Kong, Singapore, Malaysia)
_SOUTHERN_SYLLABLE = (r"(?:wai|man|ka|kar|yee|yi|siu|ming|kwok|wing|chi|kin|hoi|ho|pui|sze|chun|kit|lok|tsz|hiu|yan"
                      r"|fai|kam|lai|yuk|fung|shing|hung|kwan|mei|chee|choon|keng|kheng|seng|boon|hock|beng|swee|hui"
                      r"|teck|kok|leong|yew|poh|soon|siew|geok|hwee|lay|bee|kiat|huat|wee|tze|yin|suk|ching|tak|kwai"
                      r"|yiu|cheuk|chung|pak|tsun|ngai|ying|lun|kai|sum|tsui|yau|mun|fong|wah|keung|kuen|choi|sau)")
_GIVEN_RE = re.compile(rf"(?:{_PINYIN_SYLLABLE}|{_SOUTHERN_SYLLABLE}){{1,3}}")
_CHINESE_RE = re.compile(rf"(?<![\w'’.-])(?P<sur>{'|'.join(sorted(_CHINESE_SURNAMES, key=len, reverse=True))})(?P<given>(?:[ \t]+[{_UP}][{_LOW}]{{1,9}}"
                         rf"(?:-[{_LOW}]{{1,6}})?){{1,3}})(?![\w'’-])")
# words after a Chinese surname that make the pair no person: a herb, a hospital's or a disease's word
_NOT_GIVEN_AFTER_RE = re.compile(r"[ \t]+(?i:tea|herb|herbal|extract|hospital|clinic|disease|syndrome|sign|score"
                                 r"|scale|test|criteria|classification|method|technique)\b")

_KOREAN_SURNAMES = frozenset("""Kim Lee Yi Park Pak Choi Choe Jung Jeong Chung Kang Cho Jo Yoon Yun Jang Chang Lim Im Han
Oh Seo Suh Shin Sin Kwon Hwang Ahn An Song Yoo Yu Hong Jeon Chun Ko Go Moon Mun Yang Son Bae Baek Paik Heo Huh Nam Noh
Roh Ha Kwak Sung Seong Cha Joo Ju Woo Min Ryu Na Jin Ji Eom Um Chae Won Cheon Bang Kong Hyun Ham Yeo Pyo Byun Seok
Seol Gil Ok Do Ma""".split())
_KOREAN_SYLLABLE = re.compile(r"(?:kk|tt|pp|ss|jj|ch|[gkndtlrmbpsjhyw])?"
                              r"(?:yeo|yae|wae|ae|ya|eo|ye|wa|oe|yo|wo|we|wi|yu|eu|ui|oo|ee|a|e|i|o|u)(?:ng|[knlmpgbt])?")
_HYPHEN_GIVEN = rf"[{_UP}][{_LOW}]{{1,5}}-[{_LOW}]{{2,5}}"
_KOREAN_SUR = "|".join(sorted(_KOREAN_SURNAMES, key=len, reverse=True))
_KOREAN_RE = re.compile(rf"(?<![\w'’.-])(?:(?P<sur1>{_KOREAN_SUR})[ \t]+(?P<given1>{_HYPHEN_GIVEN})"
                        rf"|(?P<given2>{_HYPHEN_GIVEN})[ \t]+(?P<sur2>{_KOREAN_SUR}))(?![\w'’-])")

_WORD = rf"[{_UP}][{_LOW}]+(?:['’-][{_UP}]?[{_LOW}]+)*"
# "Nurul Izzah binti Hamzah", "Murugan a/l Subramaniam"; the article: "Abdulrahman al-Harbi", "Omar El-Sayed"
_DESCENT_RE = re.compile(rf"(?<![\w'’-])(?P<before>(?:{_WORD}[ \t]+){{1,3}})(?:bin|binti|bte|bt\.?|ibn|bint|binte"
                         rf"|a/l|a/p|B(?:in|inti)|Ibn)[ \t]+(?P<after>{_WORD}(?:[ \t]+{_WORD}){{0,1}})(?![\w'’-])")
_ARTICLE_RE = re.compile(rf"(?<![\w'’-])(?P<first>{_WORD})[ \t]+(?:al|el|Al|El)-[{_UP}][{_LOW}]{{2,}}(?![\w'’-])")


# English words that also spell pinyin syllables: a given name of these alone is no name ("Long Line", "Tan Line")
_ENGLISH_SYLLABLES = frozenset("""line lines tube bone zone tone tea pain fine mine nine pine wine dine tile file pile
mile male sale tale pole role sole mole hole lane cane tune june change dengue gene shine win bin pin sin tin fin gin
kin den hen men pen ten ban can man pan tan fan gang hang bang sang bun fun gun run sun nun pun gong dong song long tong
cone gone done none lone hone bile bane mane pane sane wane dune bale gale hale kale yale hue die lie tie pie he she
me we ye bye""".split())


def _given_ok(words: list[str]) -> bool:
    """Each word spells one to three syllables, the first is no common word ("Wen Hao", "Yiming", "Wai Man"; not
    "Li As"), and not all of them are English words ("Long Line")."""
    low = [w.lower() for w in words]
    return all(_GIVEN_RE.fullmatch(w.replace("-", "")) is not None for w in low) \
        and low[0] not in lexicon.common_words() and not all(w in _ENGLISH_SYLLABLES for w in low)


def _person_words(words: list[str]) -> bool:
    """Capitalised words that may be a person's: a listed name, or neither common nor English-shaped nor a word of a
    service ("Nurul Izzah", not "Sharps Bin", "Waste Collection")."""
    from meddx.deid.names import _SERVICE_WORDS, cap_name_ok

    return all(cap_name_ok(w) and w not in _SERVICE_WORDS for w in words)


def find_world_names(text: str) -> list[Cand]:
    """NAME candidates of the shapes in the module docstring."""
    out: list[Cand] = []
    for m in _CHINESE_RE.finditer(text):
        if m.group("sur") not in _CHINESE_SURNAMES:
            continue
        given = m.group("given").split()
        while given and not _given_ok(given):
            given.pop()  # "Li Wen Hao consented": the run ends at the first word that spells no syllables
        if not given:
            continue
        end = m.start("given") + m.group("given").index(given[-1]) + len(given[-1])
        if _NOT_GIVEN_AFTER_RE.match(text, end) is None:
            out.append(Cand(m.start(), end, "NAME", "world-chinese", 53))
    for m in _KOREAN_RE.finditer(text):
        sur, given = (m.group("sur1"), m.group("given1")) if m.group("sur1") else (m.group("sur2"), m.group("given2"))
        if sur in _KOREAN_SURNAMES and all(_KOREAN_SYLLABLE.fullmatch(p) for p in given.lower().split("-")):
            out.append(Cand(m.start(), m.end(), "NAME", "world-korean", 53))
    if re.search(r"\b(?:bin|binti|bte|bt|ibn|bint|binte|a/l|a/p|Bin|Binti|Ibn)\b", text):
        for m in _DESCENT_RE.finditer(text):
            before = m.group("before").split()
            while before and not _person_words(before[:1]):
                before.pop(0)  # "Wife Siti binti Osman": from the first person's word
            after = m.group("after").split()
            capital = m.group()[m.end("before") - m.start()].isupper()  # "Ahmad Bin Ismail"; not "Sharps Bin Full"
            if before and _person_words(after[:1]) and (not capital or any(
                    lexicon.is_listed(w) for w in before + after)):
                start = m.start("before") + m.group("before").index(before[0])
                end = m.start("after") + len(after[0]) if not _person_words(after) else m.end("after")
                out.append(Cand(start, end, "NAME", "world-descent", 53))
    if "l-" in text:
        out += [Cand(m.start(), m.end(), "NAME", "world-article", 53) for m in _ARTICLE_RE.finditer(text)
                if _person_words([m.group("first")])]
    return out
