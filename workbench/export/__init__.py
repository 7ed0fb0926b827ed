"""The patient's opinion page: nbconvert export, cleaning, audit and PDF (export layer)."""
