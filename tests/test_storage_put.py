"""Single-item PUT through the real Radicale Application: what is stored is
what the server derived."""

from conftest import event, ics, prop, props

CAL = "/anna/termine/"
COMPLETE = ("X-KAMIN-KIND:internal", "X-KAMIN-CUSTOMER:Müller\\, Hans",
            "X-KAMIN-PHONE:089 123456", "X-KAMIN-BUILDING:B-0815",
            "LOCATION:Hauptstraße 12\\, 80331 München")


def test_put_internal_entry_with_complete_data_is_planned(client):
    response = client.put(CAL + "a.ics", ics(event("a", *COMPLETE)))
    assert response.status == 201
    stored = client.get(CAL + "a.ics")
    assert prop(stored.text, "X-KAMIN-STATUS") == "planned"
    assert prop(stored.text, "COLOR") == "lightgray"
    assert prop(stored.text, "X-KAMIN-ADDRESS") == "complete"
    assert prop(stored.text, "X-KAMIN-PHONE") == "+4989123456"
    assert prop(stored.text, "CATEGORIES") == "Kamin: geplant"
    assert prop(stored.text, "X-KAMIN-CUSTOMER") == "Müller\\, Hans"
    assert response.headers["etag"] == stored.headers["etag"]
