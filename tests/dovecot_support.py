# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""A real IMAP server for the tests: Debian's dovecot started in a
subprocess with its own configuration in a temporary directory (free local
ports, a self-signed certificate, one passwd-file user, a maildir), and a
TCP proxy that cuts the connection half-way"""

import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from . import support

DOVECOT = os.environ.get('HELPDESK_DOVECOT', '/usr/sbin/dovecot')
OPENSSL = shutil.which('openssl') or '/usr/bin/openssl'
USER = 'helpdesk'
PASSWORD = 'Imap-Password-2024!'
START_TIMEOUT = 20  # seconds


def require_dovecot():
    support.require(
        os.access(DOVECOT, os.X_OK),
        f"dovecot not found at {DOVECOT} (HELPDESK_DOVECOT)",
        "install Debian's dovecot-imapd: apt-get install dovecot-imapd "
        "(tools/ensure-system does it as root)")
    support.require(
        os.access(OPENSSL, os.X_OK), "openssl not found",
        "apt-get install openssl")


class Dovecot:
    """dovecot serving IMAP with STARTTLS (port) and IMAPS (ssl_port) on
    127.0.0.1 for one user, in a subprocess"""

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix='helpdesk-dovecot-')
        # dovecot's processes of the mail user must reach the maildir
        os.chmod(self.directory, 0o755)
        self.cert = os.path.join(self.directory, 'cert.pem')
        self.key = os.path.join(self.directory, 'key.pem')
        self.config = os.path.join(self.directory, 'dovecot.conf')
        self.log_file = os.path.join(self.directory, 'dovecot.log')
        self.process = None
        self.port = self.ssl_port = None

    def _certificate(self):
        subprocess.run([
                OPENSSL, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                '-keyout', self.key, '-out', self.cert, '-days', '2',
                '-subj', '/CN=localhost',
                '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
            check=True, capture_output=True)
        os.chmod(self.key, 0o600)

    def _write_config(self):
        if os.getuid() == 0:
            # dovecot gives no mail access as root
            mail_user = pwd.getpwnam('nobody')
            internal = ''
        else:
            mail_user = pwd.getpwuid(os.getuid())
            internal = (
                f'default_internal_user = {mail_user.pw_name}\n'
                f'default_login_user = {mail_user.pw_name}\n'
                f'default_internal_group = {mail_user.pw_name}\n')
        mail = os.path.join(self.directory, 'mail')
        os.makedirs(mail, exist_ok=True)
        os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
        passwd = os.path.join(self.directory, 'passwd')
        with open(passwd, 'w') as fp:
            fp.write(f'{USER}:{{PLAIN}}{PASSWORD}::::::\n')
        os.chmod(passwd, 0o644)
        with open(self.config, 'w') as fp:
            fp.write(f"""\
base_dir = {self.directory}/run
state_dir = {self.directory}/state
log_path = {self.log_file}
{internal}protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
auth_mechanisms = plain login
disable_plaintext_auth = yes
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={mail}/%u
}}
mail_location = maildir:{mail}/%u/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Processed {{
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""")

    def start(self):
        require_dovecot()
        self._certificate()
        for attempt in range(3):
            self.port, self.ssl_port = support.free_port(), support.free_port()
            if self.port == self.ssl_port:
                continue
            self._write_config()
            self.process = subprocess.Popen(
                [DOVECOT, '-F', '-c', self.config],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT)
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError(f"dovecot did not start:\n{self.log()}")

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(
                        ('127.0.0.1', self.ssl_port), timeout=1):
                    pass
                with socket.create_connection(
                        ('127.0.0.1', self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def log(self):
        output = ''
        process = self.process
        if process and process.stdout and process.poll() is not None:
            output = self.process.stdout.read().decode(errors='replace')
        try:
            with open(self.log_file, errors='replace') as fp:
                output += fp.read()
        except OSError:
            pass
        return output[-8000:]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process and self.process.stdout:
            self.process.stdout.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # The mailbox, as a mail client sees it

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.cert)

    def connect(self):
        imap = imaplib.IMAP4_SSL(
            '127.0.0.1', self.ssl_port, ssl_context=self.ssl_context(),
            timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def append(self, *messages, folder='INBOX'):
        "Deliver the messages (bytes) into the folder"
        imap = self.connect()
        try:
            for message in messages:
                typ, data = imap.append(folder, None, None, message)
                assert typ == 'OK', data
        finally:
            imap.logout()

    def flags(self, folder='INBOX'):
        "The flags of each message of the folder, by Message-ID"
        imap = self.connect()
        try:
            imap.select(f'"{folder}"', readonly=True)
            typ, data = imap.uid('SEARCH', None, 'ALL')
            result = {}
            for uid in data[0].split():
                typ, fetched = imap.uid(
                    'FETCH', uid,
                    '(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
                flags = imaplib.ParseFlags(fetched[0][0])
                header = fetched[0][1].decode().split(':', 1)[1].strip()
                result[header] = {f.decode() for f in flags}
            return result
        finally:
            imap.logout()


class CuttingProxy:
    """A TCP proxy to target that cuts its first connection once it has
    passed cut_after bytes from the server to the client; the later
    connections pass whole"""

    def __init__(self, target_port, cut_after):
        self.target_port = target_port
        self.cut_after = cut_after
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.cuts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self.listener.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _accept(self):
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            cut = self.cut_after if self.connections == 1 else None
            server = socket.create_connection(('127.0.0.1', self.target_port))
            threading.Thread(
                target=self._pipe, args=(client, server, None),
                daemon=True).start()
            threading.Thread(
                target=self._pipe, args=(server, client, cut),
                daemon=True).start()

    def _pipe(self, source, destination, cut):
        passed = 0
        try:
            while True:
                data = source.recv(4096)
                if not data:
                    break
                if cut is not None and passed + len(data) >= cut:
                    destination.sendall(data[:max(cut - passed, 0)])
                    self.cuts += 1
                    break
                destination.sendall(data)
                passed += len(data)
        except OSError:
            pass
        finally:
            for sock in (source, destination):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
