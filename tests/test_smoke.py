def test_login_page_renders(client):
    response = client.get("/auth/login")
    assert response.status_code == 200


def test_each_role_reaches_home(app, client, login):
    user = login("administrator")
    response = client.get("/")
    assert response.status_code == 200
    assert user.username in response.get_data(as_text=True)
