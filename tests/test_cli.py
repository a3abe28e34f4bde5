"""A mistake on the command line gets one line naming the file or argument and what to do."""
import pytest

from khsearch.cli import main
from conftest import CORPUS


def test_indexing_a_missing_folder_writes_no_index(tmp_path, capsys):
    assert main(["index", str(tmp_path / "nosuchdir"), "--index", str(tmp_path / "new"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "nosuchdir: no such file or folder; nothing was indexed" in err
    assert not (tmp_path / "new").exists()


def test_a_folder_that_is_not_an_index(tmp_path, capsys):
    assert main(["search", "cai nghiện", "--index", str(CORPUS)]) == 1
    err = capsys.readouterr().err.strip()
    assert "is not a khsearch index" in err and f"'khsearch index {CORPUS} --index index'" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("command", ["search", "ask"])
def test_an_empty_query(hash_index, capsys, command):
    assert main([command, "  ", "--index", str(hash_index.root)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "give a" in err and "--batch" in err


def test_eval_of_a_missing_or_broken_gold_file(hash_index, tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nosuch.jsonl"), "--index", str(hash_index.root)]) == 1
    assert capsys.readouterr().err.strip() == f"khsearch: {tmp_path / 'nosuch.jsonl'}: no such file"
    bad = tmp_path / "gold.jsonl"
    bad.write_text('{"question": "Ai ký?"}\n{"question": \n', encoding="utf-8")
    assert main(["eval", str(bad), "--index", str(hash_index.root)]) == 1
    assert "gold.jsonl: line 2: not JSON" in capsys.readouterr().err


def test_eval_scores_offsets_too(hash_index, tmp_path, capsys):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "g1", "question": "Ai ký Kế hoạch 50/KH-UBND của tỉnh Quảng Ninh?", '
                    '"province": "Quảng Ninh", "answer_any": ["Nguyễn Thị Hạnh"]}\n', encoding="utf-8")
    assert main(["eval", str(gold), "--index", str(hash_index.root), "-q"]) == 0
    out = capsys.readouterr().out
    assert "questions=1" in out and "answer=1.000" in out and "offsets=1.000" in out


def test_compare_provinces_in_one_flag_or_many_and_csv_for_excel(hash_index, capsys):
    assert main(["compare", "cai", "nghiện", "--province", "Cà Mau", "thai binh", "--index", str(hash_index.root)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert [l.split(" | ")[0] for l in table[2:]] == ["| Cà Mau", "| Thái Bình"]
    assert main(["compare", "cai nghiện", "--province", "Cà Mau", "--province", "Khánh Hòa", "--csv",
                 "--index", str(hash_index.root)]) == 0
    csv = capsys.readouterr().out
    assert csv.startswith("\ufeffprovince,") and len(csv.splitlines()) == 3
    assert main(["compare", "cai nghiện", "--province", "Hà Giang", "--index", str(hash_index.root)]) == 1
    assert "no indexed plan of 'Hà Giang'" in capsys.readouterr().err


def test_facts_that_find_nothing_say_why(hash_index, capsys):
    assert main(["facts", "--agency", "Bộ Ngoại giao", "--index", str(hash_index.root)]) == 0
    assert "no assignment of 'Bộ Ngoại giao'" in capsys.readouterr().err
    assert main(["facts", "--province", "quang ninh", "--agency", "Công an", "--index", str(hash_index.root)]) == 0
    assert capsys.readouterr().out.startswith("Quảng Ninh | Công an tỉnh")
