

def test_two_class_sources_put_the_no_finding_class_first() -> None:
    from meddx.data.base import order_label_names

    assert order_label_names({"lesion", "normal"}) == ["normal", "lesion"]
    assert order_label_names({"Pneumonia", "NORMAL"}) == ["NORMAL", "Pneumonia"]
    assert order_label_names({"benign", "malignant"}) == ["benign", "malignant"]
    assert order_label_names({"cat", "dog"}) == ["cat", "dog"]  # no negative name: alphabetical
    assert order_label_names({"10", "2", "1"}) == ["1", "2", "10"]
    assert order_label_names({"glioma", "no_tumor", "pituitary"}) == ["glioma", "no_tumor", "pituitary"]
