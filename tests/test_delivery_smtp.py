"""SmtpSender over TLS with a login, against real aiosmtpd servers: STARTTLS (587) and SSL (465),
the server's certificate checked against a private CA, the password refused, the certificate not
trusted. The CA and the server's certificate are made here with `cryptography`."""
from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from domain.adapters.mail import SmtpSender
from domain.model.mail import TransientMailError
from tests.mail_servers import ScriptedHandler, parse, smtp_server
from tests.test_mail import make_mail, render

USER, PASSWORD = "vanthu@hoabinh.example.vn", "Mat-khau-dung-2026"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """(CA certificate file, server SSL context) for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("pki")
    now = dt.datetime.now(dt.timezone.utc)

    def certificate(subject, issuer, key, signer, *, ca):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                            critical=True)
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA thử nghiệm kehoach")])
    ca_cert = certificate(ca_name, ca_name, ca_key, ca_key, ca=True)
    cert = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), ca_name, key, ca_key,
                       ca=False)
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return ca_file, context


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (
        USER, PASSWORD)
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 235 or 535


def starttls_server(handler, context):
    return smtp_server(handler, tls_context=context, require_starttls=True, authenticator=authenticator,
                       auth_require_tls=True)


def send_one(port, **options):
    with SmtpSender(host="127.0.0.1", port=port, timeout=5, **options) as sender:
        sender.send(mail_from=USER, to="mttq@hoabinh.gov.vn", message=render(make_mail()))


def test_starttls_with_a_login_delivers_when_the_servers_certificate_is_signed_by_the_given_ca(pki):
    ca_file, context = pki
    handler = ScriptedHandler()
    with starttls_server(handler, context) as port:
        send_one(port, starttls=True, user=USER, password=PASSWORD, ca_file=ca_file)
    ((rcpts, raw),) = handler.accepted
    assert rcpts == ["mttq@hoabinh.gov.vn"] and parse(raw)["Message-ID"] == make_mail().message_id


def test_a_refused_password_is_a_transient_error_of_the_connection_not_of_the_message(pki):
    ca_file, context = pki
    handler = ScriptedHandler()
    with starttls_server(handler, context) as port, pytest.raises(TransientMailError, match="SMTP 535") as info:
        send_one(port, starttls=True, user=USER, password="sai", ca_file=ca_file)
    assert not info.value.per_message and handler.accepted == []


def test_a_server_certificate_from_an_unknown_ca_is_refused_before_the_password_is_sent(pki):
    _, context = pki
    handler = ScriptedHandler()
    with starttls_server(handler, context) as port, pytest.raises(TransientMailError,
                                                                   match="CERTIFICATE_VERIFY_FAILED") as info:
        send_one(port, starttls=True, user=USER, password=PASSWORD)
    assert not info.value.per_message and handler.accepted == []


def test_a_server_that_requires_starttls_refuses_a_plain_session(pki):
    _, context = pki
    with starttls_server(ScriptedHandler(), context) as port, pytest.raises(TransientMailError, match="530"):
        send_one(port)


def test_ssl_on_connect_with_a_login_delivers_over_one_connection(pki):
    ca_file, context = pki
    handler = ScriptedHandler()
    with smtp_server(handler, ssl_context=context, authenticator=authenticator, auth_require_tls=False) as port:
        with SmtpSender(host="127.0.0.1", port=port, timeout=5, ssl=True, user=USER, password=PASSWORD,
                        ca_file=ca_file) as sender:
            for number in (1, 2):
                sender.send(mail_from=USER, to="mttq@hoabinh.gov.vn", message=render(make_mail(number=number)))
    assert len(handler.accepted) == 2 and handler.connections == 1


def test_a_password_with_vietnamese_letters_is_refused_with_advice_not_a_crash(pki):
    ca_file, context = pki
    with starttls_server(ScriptedHandler(), context) as port, pytest.raises(TransientMailError, match="ASCII"):
        send_one(port, starttls=True, user=USER, password="mật-khẩu", ca_file=ca_file)
