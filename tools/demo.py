# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Build the demo database of Helpdesk for Tryton.

    .venv/bin/python tools/demo.py --database var/demo.sqlite [--force]

Creates the SQLite database (its name is the file name without ".sqlite")
with the five helpdesk modules and Persian, loads the demo data with proteus
and prints the demo logins, also written to demo-logins.txt beside the
database, where tools/serve-demo reads them. The files attached to the
tickets are in trytond's filestore beside the database: the directory of
the database's name.

Besides the agents' side, the data shows the customers' side: the team
published on the website, the customer accounts of the portal (with the
tickets they follow, their ratings and the files shared with them) and the
announcements.

A database that already exists is left as it is and its logins are printed
again; --force rebuilds it. The database is built under another name and
copied into place at the end: a failed run leaves nothing half built.

The data is the same on every run (fixed random seed), dated relative to
the moment of the build: six weeks of history. The script runs the
product's own code (buttons, stage writes, chat posts, e-mail intake,
automatic assignment) under a simulated clock that it sets to the moment of
each event, so the dates the product records (creation, assignment, first
response, closing, messages) tell that history. The e-mails the product
sends meanwhile go to a local SMTP server of the script, which drops them.
"""

import argparse
import datetime as dt
import email.message
import email.utils
import logging
import os
import random
import secrets
import shutil
import socket
import sqlite3
import struct
import sys
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

MODULES = [
    'helpdesk_core', 'helpdesk_sla', 'helpdesk_aftersales',
    'helpdesk_website', 'helpdesk_crm']
LANGUAGES = ['fa']
SEED = 20250801
TICKETS = 200
HISTORY_DAYS = 42

ADMIN_LOGIN = 'admin'
# "admin" is refused by the password rules (too short, equal to the
# login): the demo stores its hash directly, see set_admin_password
ADMIN_PASSWORD = 'admin'
ADMIN_EMAIL = 'admin@trytonsupport.example'
# The inbox of the e-mail intake: the mails posted to
# /<database>/inbound_email/inbox/<identifier> become tickets of the team of
# their address (README: a one-line command sends one)
DEMO_INBOX = 'helpdesk-demo-mail'
AGENT_PASSWORD = 'helpdesk'
PORTAL_PASSWORD = 'portal'
EMAIL_FROM = 'Tryton Support Co. <support@trytonsupport.example>'

COMPANY = "Tryton Support Co."
TIMEZONE = 'Europe/London'

logger = logging.getLogger('demo')

# --- Data --------------------------------------------------------------------

# The name Persian-speaking customers read
PERSIAN_NAMES = {
    'reza': "رضا کریمی",
    }

# login, name, helpdesk manager, language
AGENTS = [
    ('sophie', "Sophie Martin", True, 'en'),
    ('daniel', "Daniel Okafor", True, 'en'),
    ('liam', "Liam Becker", False, 'en'),
    ('aisha', "Aisha Rahman", False, 'en'),
    ('tomas', "Tomas Novak", False, 'en'),
    ('reza', "Reza Karimi", False, 'fa'),
    ('emma', "Emma Johansson", False, 'en'),
    ('kenji', "Kenji Tanaka", False, 'en'),
    ]
AGENT_NAMES = {a[0]: a[1] for a in AGENTS}

TEAMS = {
    'care': dict(
        name="Customer Care",
        description=(
            "Questions about orders, deliveries, returns and your account. "
            "We answer within one business day."),
        # What Persian-speaking customers read on the website
        persian=dict(
            name="خدمات مشتریان",
            description=(
                "پرسش‌های مربوط به سفارش، ارسال، مرجوعی کالا و حساب "
                "کاربری شما. ما ظرف یک روز کاری پاسخ می‌دهیم.")),
        sequence=10,
        # The customers follow their tickets in the portal and rate them
        visibility='portal',
        website_published=True,
        auto_assign=True,
        assign_method='balanced',
        leaders=['sophie'],
        members=['sophie', 'liam', 'aisha', 'reza', 'kenji'],
        follower_users=[],
        follower_emails=None,
        use_rating=True,
        portal_close=True,
        # The tickets the customer leaves unanswered a week are solved
        inactive_close_days=7,
        # Waits turn yellow and red sooner than the defaults: the urgent
        # ones after 1 and 2 working hours, the others after 2 and 6
        waiting_thresholds=[('3', 1, 2), (None, 2, 6)],
        # The customers' mails to it become its tickets (see DEMO_INBOX)
        email='care@trytonsupport.example',
        # The chat of the website's pages, answered from the console
        livechat=True,
        weight=85,
        ),
    'tech': dict(
        name="Technical Support",
        description=(
            "Help with our devices and software: installation, error "
            "messages, printers, network and sign-in problems."),
        persian=dict(
            name="پشتیبانی فنی",
            description=(
                "کمک دربارهٔ دستگاه‌ها و نرم‌افزارهای ما: نصب، پیام‌های "
                "خطا، چاپگرها، شبکه و مشکلات ورود به حساب.")),
        sequence=20,
        visibility='invited',
        website_published=False,
        auto_assign=True,
        assign_method='equal_count',
        leaders=['daniel', 'tomas'],
        members=['daniel', 'tomas', 'reza', 'kenji'],
        follower_users=['daniel'],
        follower_emails=None,
        use_rating=True,
        portal_close=False,
        weight=75,
        ),
    'billing': dict(
        name="Billing",
        description=(
            "Invoices, payments, refunds and subscriptions. Please quote "
            "your invoice number."),
        persian=dict(
            name="امور مالی",
            description=(
                "صورتحساب‌ها، پرداخت‌ها، بازپرداخت‌ها و اشتراک‌ها. لطفاً "
                "شمارهٔ صورتحساب خود را بنویسید.")),
        sequence=30,
        visibility='assigned',
        website_published=False,
        auto_assign=False,
        assign_method='balanced',
        leaders=['sophie'],
        members=['sophie', 'aisha', 'emma'],
        follower_users=[],
        follower_emails='accounting@trytonsupport.example',
        use_rating=False,
        portal_close=True,
        weight=40,
        ),
    }

# key, name, category, sequence, team (None: every team)
EXTRA_STAGES = [
    ('escalated', "Escalated to Engineering", 'in_progress', 25, 'tech'),
    ('payment', "Waiting for Payment", 'waiting', 35, 'billing'),
    ]

TYPES = [
    ('question', "Question"),
    ('incident', "Incident"),
    ('request', "Service Request"),
    ('complaint', "Complaint"),
    ('feature', "Feature Request"),
    ]

TAGS = [
    ("Bug", '#c62828'),
    ("Delivery", '#ef6c00'),
    ("Feedback", '#00838f'),
    ("Hardware", '#6d4c41'),
    ("Invoice", '#2e7d32'),
    ("Login", '#00897b'),
    ("Network", '#5e35b1'),
    ("Payment", '#7cb342'),
    ("Printer", '#3949ab'),
    ("Refund", '#d81b60'),
    ("Return", '#f4511e'),
    ("Software", '#1e88e5'),
    ("Subscription", '#8e24aa'),
    ("VIP", '#c9a227'),
    ("Website", '#546e7a'),
    ]

# name, language, e-mail, phone, street, postal code, city, VIP,
# routing (team, agent) of the customer's tickets, contacts (name, e-mail)
# of a company
CUSTOMERS = [
    ("Carol Hughes", 'en', 'carol.hughes@mail.example', '+44 20 7946 0321',
        "14 Abbey Road", "NW8 9AY", "London", False, None, []),
    ("Marco Rossi", 'en', 'marco.rossi@posta.example', '+39 02 5550 1234',
        "Via Torino 21", "20123", "Milano", False, None, []),
    ("Priya Sharma", 'en', 'priya.sharma@inbox.example', '+91 80 5550 7788',
        "12 MG Road", "560001", "Bengaluru", False, None, []),
    ("Lukas Meyer", 'en', 'lukas.meyer@web.example', '+49 30 5550 4412',
        "Kastanienallee 8", "10435", "Berlin", False, None, []),
    ("Fatima El Amrani", 'en', 'fatima.elamrani@mail.example',
        '+33 1 5550 2290', "27 rue Oberkampf", "75011", "Paris",
        False, None, []),
    ("James O'Connor", 'en', 'james.oconnor@inbox.example',
        '+353 1 555 0147', "5 Harcourt Street", "D02 X285", "Dublin",
        False, None, []),
    ("Sofia Andersson", 'en', 'sofia.andersson@post.example',
        '+46 8 555 123 45', "Sveavagen 44", "111 34", "Stockholm",
        False, None, []),
    ("Chen Wei", 'en', 'chen.wei@mail.example', '+65 5550 3377',
        "80 Robinson Road", "068898", "Singapore", False, None, []),
    ("Olivia Brown", 'en', 'olivia.brown@web.example', '+1 617 555 0199',
        "120 Beacon Street", "02116", "Boston", False, None, []),
    ("Mehmet Yilmaz", 'en', 'mehmet.yilmaz@posta.example',
        '+90 212 555 0182', "Istiklal Caddesi 101", "34430", "Istanbul",
        False, None, []),
    ("Ana Costa", 'en', 'ana.costa@mail.example', '+351 21 555 0163',
        "Rua Augusta 55", "1100-048", "Lisboa", False, None, []),
    ("Thomas Dubois", 'en', 'thomas.dubois@inbox.example',
        '+32 2 555 01 88', "Rue Neuve 17", "1000", "Bruxelles",
        False, None, []),
    ("شیرین احمدی", 'fa', 'shirin.ahmadi@mail.example',
        '+98 21 5550 4433', "خیابان ولیعصر، پلاک ۱۲۵۰", "15118", "تهران",
        False, ('care', 'reza'), []),
    ("داریوش فراهانی", 'fa', 'dariush.farahani@post.example',
        '+98 31 5550 2211', "خیابان چهارباغ، پلاک ۴۴", "81746", "اصفهان",
        False, ('care', 'reza'), []),
    ("Northwind Traders", 'en', 'info@northwind.example', '+1 206 555 0100',
        "1200 Harbor Avenue", "98101", "Seattle", True, ('care', 'aisha'), [
            ("Hannah Weber", 'hannah.weber@northwind.example'),
            ("Jonas Pohl", 'it@northwind.example'),
            ("Mia Laurent", 'mia.laurent@northwind.example'),
            ]),
    ("Blue Harbor Logistics", 'en', 'office@blueharbor.example',
        '+31 10 555 0144', "Waalhaven 7", "3089 JH", "Rotterdam",
        False, None, [
            ("Grace Kim", 'grace.kim@blueharbor.example'),
            ("Samuel Ortiz", 'samuel.ortiz@blueharbor.example'),
            ]),
    ("Greenleaf Dental Clinic", 'en', 'frontdesk@greenleaf.example',
        '+44 161 555 0123', "3 King Street", "M2 4LQ", "Manchester",
        False, None, [
            ("Nadia Petrova", 'nadia.petrova@greenleaf.example'),
            ]),
    ("Atlas Architecture", 'en', 'studio@atlas-arch.example',
        '+34 93 555 0175', "Carrer de Mallorca 240", "08008", "Barcelona",
        False, None, [
            ("Paul Girard", 'paul.girard@atlas-arch.example'),
            ("Lea Vidal", 'lea.vidal@atlas-arch.example'),
            ]),
    ("Sunrise Bakery Ltd", 'en', 'hello@sunrisebakery.example',
        '+61 2 5550 1166', "88 Crown Street", "2010", "Sydney",
        False, None, [
            ("Rosa Jimenez", 'rosa.jimenez@sunrisebakery.example'),
            ]),
    ("Kestrel Engineering GmbH", 'en', 'service@kestrel.example',
        '+49 89 5550 7700', "Leopoldstrasse 150", "80804", "Muenchen",
        True, ('tech', 'tomas'), [
            ("Felix Braun", 'felix.braun@kestrel.example'),
            ("Anna Schulz", 'anna.schulz@kestrel.example'),
            ]),
    ]

PRODUCTS = [
    "LaserJet Pro M404", "EcoTank ET-2850", "Tryton Scan 300",
    "Aurora 14 laptop", "Nimbus Wi-Fi 6 router", "Orbit USB-C dock",
    "Vega 27\" monitor", "Pulse wireless headset", "Atlas barcode scanner",
    "Comet label printer"]
PRINTERS = ["LaserJet Pro M404", "EcoTank ET-2850", "Comet label printer"]
DEVICES = ["Nimbus Wi-Fi 6 router", "Nimbus mesh point", "Orbit USB-C dock"]

# The topics of the tickets. Placeholders: {order} {invoice} {product}
# {printer} {device} {amount} {tracking} {ref} {year}. "ask" is the
# question an agent asks before waiting for the customer, "customer" the
# answer, "answer" the reply that solves the ticket, "thanks" what the
# customer may write after it, "note" an internal note.
TOPICS = {
    'care': [
        dict(
            subject="Where is my order {order}?",
            description=(
                "I ordered on the website ten days ago and the tracking "
                "page still says \"label created\". Can you tell me when "
                "it will arrive?"),
            type='question', tags=["Delivery"], priority='1',
            ask=(
                "The carrier reports an incomplete delivery address on "
                "order {order}. Could you confirm the street number and "
                "the postal code?"),
            customer=(
                "Sorry about that: it is number 14, the postal code is "
                "correct on the order."),
            answer=(
                "The carrier has corrected the address and the parcel is "
                "out for delivery today. You can follow it with tracking "
                "number {tracking}."),
            thanks="It arrived this morning, thank you!",
            note="Address correction requested from the carrier, ref {ref}.",
            ),
        dict(
            subject="Parcel arrived damaged",
            description=(
                "The box of order {order} was crushed and the {product} "
                "inside has a cracked casing. I have photos if you need "
                "them."),
            type='complaint', tags=["Delivery", "Return"], priority='2',
            ask=(
                "I am sorry about this. Could you send us a photo of the "
                "damaged box and of the shipping label, so that we can "
                "file a claim with the carrier?"),
            customer="Here are the photos of the box and of the label.",
            answer=(
                "We have shipped a replacement {product} at no cost; it "
                "should arrive within two business days. There is no need "
                "to send the damaged one back."),
            thanks="Great service, thanks a lot.",
            note="Claim {ref} filed with the carrier, replacement sent.",
            ),
        dict(
            subject="Wrong item in my package",
            description=(
                "I ordered a {product} (order {order}) but the box "
                "contained a Pulse wireless headset."),
            type='complaint', tags=["Delivery", "Return"], priority='1',
            ask=(
                "Could you tell us the serial number printed on the box "
                "you received? We will check it against the picking list."),
            customer="The serial number is SN-{ref}.",
            answer=(
                "The right {product} is on its way. The courier will "
                "collect the headset when delivering it: please keep the "
                "original box."),
            thanks="Received the right one, thanks.",
            note="Picking error at the warehouse, reported to logistics.",
            ),
        dict(
            subject="How do I return my {product}?",
            description=(
                "The {product} I bought last week does not fit my needs. "
                "How can I return it and get a refund?"),
            type='question', tags=["Return"], priority='0',
            ask=(
                "Is the product still in its original packaging? Items "
                "that were opened can be returned too, with a 10% "
                "restocking fee."),
            customer="Yes, it has never been opened.",
            answer=(
                "I have created the return for order {order}: you will "
                "receive a prepaid label by e-mail. The refund is issued "
                "as soon as the warehouse receives the parcel."),
            thanks="Label received, thank you.",
            note="Return authorised, no restocking fee.",
            ),
        dict(
            subject="Change the delivery address of order {order}",
            description=(
                "I am moving next week. Can you deliver order {order} to "
                "my office instead: 5 Harbour Street, 3rd floor?"),
            type='request', tags=["Delivery"], priority='1',
            ask=(
                "The order has already left our warehouse. Do you want us "
                "to ask the carrier to redirect it, which can take two "
                "more days?"),
            customer="Yes please, redirect it.",
            answer=(
                "The carrier confirmed the new address. The parcel will be "
                "delivered to your office on Thursday."),
            thanks="Perfect, thank you.",
            note="Redirection requested with the carrier, ref {ref}.",
            ),
        dict(
            subject="Please cancel my order {order}",
            description=(
                "I placed order {order} twice by mistake. Please cancel "
                "one of them."),
            type='request', tags=[], priority='1',
            ask=(
                "I can see two identical orders. Which one shall we "
                "cancel: the one paid by card or the one paid by bank "
                "transfer?"),
            customer="The one paid by bank transfer, please.",
            answer=(
                "Order {order} is cancelled; nothing was charged for it."),
            thanks="Thanks for the quick answer!",
            note="Duplicate order cancelled before shipping.",
            ),
        dict(
            subject="Discount code not accepted at checkout",
            description=(
                "The code SUMMER15 from your newsletter says \"invalid\" "
                "when I try to pay for a {product}."),
            type='question', tags=["Website"], priority='0',
            ask=(
                "Could you tell us the e-mail address you used to "
                "subscribe to the newsletter? The code is personal."),
            customer="I subscribed with the same address I write from.",
            answer=(
                "The code was tied to another address by mistake. I have "
                "applied the 15% discount to order {order} directly."),
            thanks="Thank you, very kind.",
            note="Newsletter code bound to the wrong contact: fixed.",
            ),
        dict(
            subject="Cannot change the e-mail address of my account",
            description=(
                "When I save my new e-mail address in my account, the page "
                "reloads and the old one is back."),
            type='request', tags=["Login", "Website"], priority='1',
            ask=(
                "Did you click the confirmation link we send to the new "
                "address? The change only applies after that."),
            customer="I never received that e-mail.",
            answer=(
                "The confirmation e-mail was blocked by your mail provider. "
                "I have changed the address for you: you can sign in with "
                "the new one now."),
            thanks="It works, thanks.",
            note="Address changed by hand after checking the identity.",
            ),
        dict(
            subject="When will the {product} be back in stock?",
            description=(
                "The {product} has been out of stock for three weeks. Do "
                "you know when you will have it again?"),
            type='question', tags=[], priority='0',
            answer=(
                "Our next delivery of {product} is expected at the end of "
                "the month. I have added you to the waiting list: you will "
                "be told by e-mail as soon as it is available."),
            thanks="Thanks, I will wait then.",
            note="Added to the back-in-stock list.",
            ),
        dict(
            subject="Warranty claim for my {product}",
            description=(
                "My {product} bought 14 months ago stopped working: it does "
                "not power on any more. It should still be under the "
                "two-year warranty."),
            type='request', tags=["Hardware", "Return"], priority='1',
            ask=(
                "Could you send us a copy of the purchase invoice and the "
                "serial number of the device?"),
            customer="Attached the invoice; the serial number is SN-{ref}.",
            answer=(
                "The warranty claim is accepted. A courier will collect "
                "the device on Monday and you will receive a repaired or "
                "new unit within ten days."),
            thanks="Thank you for the quick handling.",
            note="Warranty valid until next year: repair order requested.",
            ),
        dict(
            subject="Missing user manual for the {product}",
            description=(
                "There was no manual in the box of my {product}. Where can "
                "I find one, in French if possible?"),
            type='question', tags=[], priority='0',
            answer=(
                "You can download the manual in every language from the "
                "support page of the {product}, in the \"Documents\" tab. "
                "I have also attached the French PDF to this reply."),
            thanks="Found it, thanks.",
            note="Manual missing from the box: batch reported to quality.",
            ),
        dict(
            subject="Complaint about the delivery driver",
            description=(
                "The driver left my parcel in the rain in front of the "
                "building without ringing, although I was at home."),
            type='complaint', tags=["Delivery"], priority='1',
            answer=(
                "I am very sorry. We have reported this to the carrier, "
                "who will speak to the driver. As an apology we have added "
                "a voucher of 10 EUR to your account."),
            thanks="Thank you for taking it seriously.",
            note="Complaint forwarded to the carrier's quality team.",
            ),
        dict(
            subject="Quote for 25 units of {product}",
            description=(
                "We would like to equip our new office. Could you send us "
                "a quote for 25 units of {product} with delivery?"),
            type='request', tags=[], priority='1',
            ask=(
                "Do you need installation too, or only delivery? And to "
                "which address should we deliver?"),
            customer="Delivery only, to our main office.",
            answer=(
                "Please find our quote attached: 25 x {product}, 8% volume "
                "discount, delivery included, valid for 30 days."),
            thanks="Thank you, we will come back to you next week.",
            note="Quote sent; sales team informed of the opportunity.",
            ),
        dict(
            subject="Suggestion: dark mode for the customer portal",
            description=(
                "It would be great if the customer portal had a dark mode. "
                "I use it a lot in the evening."),
            type='feature', tags=["Feedback", "Website"], priority='0',
            answer=(
                "Thank you for the suggestion! I have passed it on to our "
                "web team, who collect the ideas for the next version of "
                "the portal."),
            thanks="Thanks for listening.",
            note="Added to the portal wish list.",
            ),
        dict(
            subject="Order confirmation e-mail never arrived",
            description=(
                "I paid order {order} yesterday but never received the "
                "confirmation e-mail. Is my order registered?"),
            type='question', tags=["Website"], priority='1',
            answer=(
                "Your order {order} is registered and paid; it will ship "
                "tomorrow. I have sent the confirmation again: please also "
                "check your spam folder."),
            thanks="Got it now, it was in the spam folder.",
            note="Mail log checked: the confirmation was delivered.",
            ),
        dict(
            subject="Please delete my personal data",
            description=(
                "I no longer use your services. Please delete my account "
                "and all my personal data, as the GDPR allows."),
            type='request', tags=[], priority='2',
            ask=(
                "To protect your data, please confirm the request from the "
                "e-mail address of your account. Note that invoices are "
                "kept for ten years, as the law requires."),
            customer="I confirm the request.",
            answer=(
                "Your account and your personal data have been deleted; "
                "only the invoices are kept for the legal period."),
            thanks="Thank you.",
            note="GDPR erasure done, logged in the data register.",
            ),
        ],
    'tech': [
        dict(
            subject="{printer} shows \"paper jam\" but no paper is stuck",
            description=(
                "Our {printer} displays a paper jam error. We opened every "
                "tray and door: there is no paper inside. Restarting does "
                "not help."),
            type='incident', tags=["Printer", "Hardware"], priority='2',
            ask=(
                "Please open the rear door and check the small grey roller "
                "sensor: is it moving freely? A photo of the display would "
                "help too."),
            customer="The sensor seems stuck. Photo attached.",
            answer=(
                "The jam sensor flag was stuck. Press it gently a few times "
                "until it moves freely, then switch the printer off and on. "
                "If it sticks again we will replace it under warranty."),
            thanks="That did it, it prints again. Thanks!",
            note="Known issue on the first production batch of the {printer}.",
            ),
        dict(
            subject="Printer prints blank pages after cartridge change",
            description=(
                "Since we replaced the cartridge of the {printer}, every "
                "page comes out blank."),
            type='incident', tags=["Printer"], priority='1',
            ask=(
                "Did you remove the orange protective tape from the new "
                "cartridge? Please print a test page from the printer menu "
                "and tell us what comes out."),
            customer="The tape is removed. The test page is blank too.",
            answer=(
                "Please run \"Clean print head\" twice from the maintenance "
                "menu. If the test page is still blank, the cartridge is "
                "faulty and we will send a new one."),
            thanks="Cleaning twice fixed it, thanks.",
            note="Cartridge batch {ref}: two similar reports this month.",
            ),
        dict(
            subject="Cannot log in: \"invalid password\" after a reset",
            description=(
                "I reset my password this morning, but the client still "
                "says \"invalid password\" with the new one."),
            type='incident', tags=["Login"], priority='2',
            ask=(
                "Are you signing in from the desktop application or from "
                "the browser? The desktop application may still use a "
                "saved password."),
            customer="From the desktop application.",
            answer=(
                "The desktop application kept the old password in its "
                "keyring. Remove the saved entry under Settings > Accounts "
                "and sign in again with the new password."),
            thanks="Signed in, thank you!",
            note="Keyring issue of version 4.1, fixed in 4.2.",
            ),
        dict(
            subject="Two-factor code never arrives by SMS",
            description=(
                "I do not receive the SMS with the sign-in code any more. "
                "My phone number has not changed."),
            type='incident', tags=["Login"], priority='2',
            ask=(
                "Could you confirm the last three digits of the phone "
                "number on your account, so that we can check the SMS "
                "delivery log?"),
            customer="It ends with 321.",
            answer=(
                "Your mobile operator was rejecting our messages. We have "
                "switched your account to our second SMS provider: the "
                "code should arrive within seconds now. You can also use "
                "an authenticator app instead."),
            thanks="Codes arrive again, thanks.",
            note="SMS provider bounce for this operator: ticket {ref}.",
            ),
        dict(
            subject="Account locked after too many attempts",
            description=(
                "My account is locked after I mistyped my password several "
                "times. I need it urgently for a presentation."),
            type='request', tags=["Login"], priority='3',
            answer=(
                "Your account is unlocked. I have also sent you a link to "
                "set a new password, valid for 24 hours."),
            thanks="Back in, thank you very much!",
            note="Identity checked by phone before unlocking.",
            ),
        dict(
            subject="VPN disconnects every 10 minutes",
            description=(
                "Since Monday the VPN connection drops every ten minutes. "
                "Colleagues on the same network have the same problem."),
            type='incident', tags=["Network"], priority='2',
            ask=(
                "Could you send us the client log (Help > Export log) from "
                "one of the affected computers?"),
            customer="Log attached.",
            answer=(
                "The log shows the connection being renewed with an "
                "expired certificate. We have renewed the certificate on "
                "the gateway: please reconnect once."),
            thanks="Stable since yesterday, thanks.",
            note="Gateway certificate expired: renewal reminder added.",
            ),
        dict(
            subject="{device} keeps rebooting",
            description=(
                "Our {device} restarts by itself several times a day, "
                "cutting everybody off the network."),
            type='incident', tags=["Network", "Hardware"], priority='2',
            ask=(
                "Which firmware version is shown on the status page of the "
                "{device}? And is it installed in a warm place?"),
            customer="Firmware 2.3.1, in a cupboard with the server.",
            answer=(
                "Firmware 2.3.1 has a known overheating bug. Please update "
                "to 2.3.4 from the status page and give the device some "
                "air: the reboots will stop."),
            thanks="No reboot since the update. Thanks!",
            note="Firmware 2.3.1 bug: reboot under heat.",
            ),
        dict(
            subject="App crashes when exporting a report to PDF",
            description=(
                "The desktop application closes without any message when I "
                "export the monthly report to PDF. Other formats work."),
            type='incident', tags=["Software", "Bug"], priority='2',
            ask=(
                "Could you tell us the version of the application (Help > "
                "About) and send us the report you are trying to export?"),
            customer="Version 4.2.0. The report is attached.",
            answer=(
                "Our developers have fixed the crash: it came from a font "
                "missing on your system. Version 4.2.1, available now, "
                "includes the fix."),
            thanks="The update fixed it, thank you.",
            note="Reproduced with a custom font: bug ENG-{ref}.",
            ),
        dict(
            subject="Sync error 0x80070005 in the desktop client",
            description=(
                "The desktop client shows \"Sync error 0x80070005\" and "
                "stopped synchronising my documents."),
            type='incident', tags=["Software", "Bug"], priority='1',
            ask=(
                "This error means \"access denied\". Did your IT department "
                "change the permissions of your documents folder recently?"),
            customer="Yes, they moved it to a network drive last week.",
            answer=(
                "Please choose the new folder in Settings > Sync > Location: "
                "the client needs to be pointed to the network drive once."),
            thanks="Syncing again. Thanks!",
            note="Not a bug: folder moved by the customer's IT.",
            ),
        dict(
            subject="How do I install the software on a second computer?",
            description=(
                "I bought a licence for two computers. How do I install "
                "the software on the second one?"),
            type='question', tags=["Software"], priority='0',
            answer=(
                "Download the installer from your account page and sign in "
                "with the same account: the second seat of your licence is "
                "used automatically."),
            thanks="Installed, thank you.",
            note="Licence has 2 seats, 1 used.",
            ),
        dict(
            subject="Scanner not detected after the Windows update",
            description=(
                "Since the last Windows update the Tryton Scan 300 is no "
                "longer detected. The light is on."),
            type='incident', tags=["Hardware", "Software"], priority='1',
            ask=(
                "Could you check in the Device Manager whether the scanner "
                "appears with a yellow warning sign?"),
            customer="Yes, it shows \"Unknown device\" with a warning.",
            answer=(
                "The update replaced our driver. Please install driver "
                "3.8 from our download page and restart the computer."),
            thanks="Detected again after the new driver, thanks.",
            note="Driver 3.7 removed by Windows update KB-{ref}.",
            ),
        dict(
            subject="Mobile app stuck on the loading screen",
            description=(
                "The mobile app stays on the loading screen forever since "
                "yesterday. Reinstalling did not help."),
            type='incident', tags=["Software", "Bug"], priority='2',
            ask=(
                "Which phone model and system version do you use? Does it "
                "happen on Wi-Fi and on mobile data?"),
            customer="Android 14 on a Pixel 7, on both networks.",
            answer=(
                "A faulty update of the app was published yesterday for "
                "Android 14. Version 5.0.3, released this morning, fixes "
                "it: please update from the store."),
            thanks="Works with 5.0.3. Thanks!",
            note="Regression in 5.0.2 on Android 14: bug ENG-{ref}.",
            ),
        dict(
            subject="Feature request: export the reports to CSV",
            description=(
                "We would like to export the monthly reports to CSV to "
                "import them in our spreadsheet."),
            type='feature', tags=["Software", "Feedback"], priority='0',
            answer=(
                "Thank you for the idea. CSV export is planned for the next "
                "major version; in the meantime the Excel export can be "
                "saved as CSV from the spreadsheet."),
            thanks="Good to know, thanks.",
            note="Vote added to the CSV export feature request.",
            ),
        dict(
            subject="Outlook does not receive e-mails since yesterday",
            description=(
                "Outlook on all our computers stopped receiving e-mails "
                "since yesterday evening. Sending still works."),
            type='incident', tags=["Software", "Network"], priority='3',
            ask=(
                "Could you send us a screenshot of the error shown under "
                "File > Account Settings for one of the mailboxes?"),
            customer="Screenshot attached: it asks for the password again.",
            answer=(
                "The mail server now requires modern authentication. We "
                "have enabled it for your domain: restart Outlook and sign "
                "in once when it asks."),
            thanks="Mails are coming in again. Thank you!",
            note="Basic authentication switched off by the provider.",
            ),
        dict(
            subject="Laptop battery drains in one hour",
            description=(
                "My Aurora 14 laptop, six months old, now lasts only one "
                "hour on battery."),
            type='incident', tags=["Hardware"], priority='1',
            ask=(
                "Please run the battery report (Support app > Battery) and "
                "send us the result."),
            customer="Report attached: capacity 41%.",
            answer=(
                "41% capacity after six months is a faulty battery. We are "
                "sending you a replacement battery under warranty."),
            thanks="New battery installed, lasts all day. Thanks!",
            note="Battery replacement ordered, RMA {ref}.",
            ),
        dict(
            subject="Barcode scanner reads wrong characters",
            description=(
                "The Atlas barcode scanner types wrong characters: letters "
                "are swapped, for example Z instead of Y."),
            type='incident', tags=["Hardware"], priority='1',
            answer=(
                "The scanner is set to an American keyboard layout. Scan "
                "the \"German keyboard\" barcode on page 12 of the manual "
                "to switch it to your layout."),
            thanks="Reads correctly now. Thanks!",
            note="Keyboard layout setting, not a defect.",
            ),
        dict(
            subject="Whole office offline: router not responding",
            description=(
                "Nobody in our office can reach the internet since 8:00. "
                "The router lights are blinking red."),
            type='incident', tags=["Network", "Hardware"], priority='3',
            ask=(
                "Can you unplug the router for 30 seconds and plug it back? "
                "Then tell us which lights stay red."),
            customer="Restarted: the WAN light stays red.",
            answer=(
                "The line was cut by roadworks in your street; the operator "
                "repaired it at 11:40. Your connection is back."),
            thanks="We are online again, thank you.",
            note="Operator incident {ref} on the customer's line.",
            ),
        ],
    'billing': [
        dict(
            subject="Invoice {invoice} charged twice",
            description=(
                "My card was charged twice {amount} EUR for invoice "
                "{invoice}. Please refund the second payment."),
            type='complaint', tags=["Invoice", "Payment", "Refund"],
            priority='2',
            ask=(
                "Could you send us the two card transactions as they "
                "appear on your bank statement (date and reference)?"),
            customer="Both on the same day, references attached.",
            answer=(
                "The second payment of {amount} EUR has been refunded. It "
                "will appear on your account within 3 to 5 business days."),
            thanks="Refund received, thanks.",
            note="Double capture by the payment provider: refund {ref}.",
            ),
        dict(
            subject="Refund for returned order {order} not received",
            description=(
                "I returned order {order} three weeks ago but I have not "
                "received the refund yet."),
            type='complaint', tags=["Refund", "Return"], priority='2',
            ask=(
                "Our warehouse has no record of the parcel yet. Could you "
                "send us the tracking number of the return?"),
            customer="The tracking number is {tracking}.",
            answer=(
                "The parcel was delivered to the wrong warehouse. We have "
                "issued the refund of {amount} EUR today."),
            thanks="Money is back on my account. Thanks!",
            note="Return found at the Lyon warehouse.",
            ),
        dict(
            subject="Please add our VAT number to invoice {invoice}",
            description=(
                "Invoice {invoice} does not show our VAT number, so we "
                "cannot deduct the VAT. Could you issue a corrected one?"),
            type='request', tags=["Invoice"], priority='1',
            ask="Could you send us your VAT number?",
            customer="Our VAT number is EU{ref}.",
            answer=(
                "Please find attached the corrected invoice with your VAT "
                "number. We have also saved it on your account for the "
                "next invoices."),
            thanks="Thank you.",
            note="Credit note and new invoice issued.",
            ),
        dict(
            subject="Card payment declined although the card is valid",
            description=(
                "I tried to pay invoice {invoice} three times: the payment "
                "is declined, but my bank says the card is fine."),
            type='incident', tags=["Payment"], priority='2',
            answer=(
                "Your bank requires 3-D Secure and the confirmation window "
                "was blocked by the browser. I have sent you a new payment "
                "link: please allow pop-ups for our site."),
            thanks="Payment went through, thanks.",
            note="3-D Secure pop-up blocked by the browser.",
            ),
        dict(
            subject="Wrong amount on invoice {invoice}",
            description=(
                "Invoice {invoice} shows {amount} EUR but the agreed price "
                "was lower. Can you check?"),
            type='complaint', tags=["Invoice"], priority='1',
            ask=(
                "Could you send us the quote or the e-mail in which the "
                "price was agreed?"),
            customer="Here is the quote we signed.",
            answer=(
                "You are right: the volume discount was not applied. We "
                "have issued a credit note for the difference."),
            thanks="Thanks for the correction.",
            note="Discount missing on the sale: credit note issued.",
            ),
        dict(
            subject="How do I change the billing address?",
            description=(
                "We moved to a new office. How can we change the address "
                "printed on our invoices?"),
            type='question', tags=["Invoice"], priority='0',
            answer=(
                "You can change it under Account > Billing in the portal. "
                "I have already updated it for you with the address of "
                "your last order."),
            thanks="Thank you.",
            note="Billing address updated.",
            ),
        dict(
            subject="Cancel my subscription",
            description=(
                "Please cancel my Pro subscription at the end of the "
                "current period."),
            type='request', tags=["Subscription"], priority='1',
            answer=(
                "Your subscription is cancelled: it stays active until the "
                "end of the current period and will not be renewed."),
            thanks="Thanks.",
            note="Cancellation reason: budget cuts.",
            ),
        dict(
            subject="Upgrade from the Basic to the Pro plan",
            description=(
                "We would like to upgrade to the Pro plan. Is the price "
                "prorated for the current month?"),
            type='request', tags=["Subscription"], priority='1',
            answer=(
                "Yes, the upgrade is prorated. Your account is on the Pro "
                "plan now; the difference of {amount} EUR will be on your "
                "next invoice."),
            thanks="Great, thanks!",
            note="Upgrade done, proration checked.",
            ),
        dict(
            subject="Copy of all invoices for {year}",
            description=(
                "Our accountant needs a copy of all our invoices for "
                "{year}. Can you send them in one file?"),
            type='request', tags=["Invoice"], priority='0',
            answer=(
                "Please find attached a ZIP file with all your invoices of "
                "{year}. They can also be downloaded from the portal."),
            thanks="Perfect, thank you.",
            note="Invoices exported from the accounting.",
            ),
        dict(
            subject="Direct debit: which mandate reference do you use?",
            description=(
                "Our bank asks for the mandate reference of your direct "
                "debit. Where can we find it?"),
            type='question', tags=["Payment"], priority='0',
            answer=(
                "Your mandate reference is MD-{ref}. It is also shown on "
                "each invoice, under the payment terms."),
            thanks="Found it, thanks.",
            note="Mandate reference given.",
            ),
        dict(
            subject="Payment reminder received by mistake",
            description=(
                "We received a reminder for invoice {invoice}, which we "
                "paid on time. Please check."),
            type='complaint', tags=["Payment", "Invoice"], priority='1',
            ask=(
                "We cannot find the payment yet. Could you send us the "
                "transfer confirmation?"),
            customer="Transfer confirmation attached.",
            answer=(
                "The payment was booked on another invoice by mistake. It "
                "is corrected and the reminder cancelled: sorry for the "
                "trouble."),
            thanks="Thanks for sorting it out.",
            note="Payment matched to the wrong invoice: fixed.",
            ),
        ],
    }

# Tickets of Persian-speaking customers, answered by the Persian-speaking
# agent
PERSIAN_TOPICS = {
    'care': [
        dict(
            subject="سفارش {order} هنوز تحویل نشده است",
            description=(
                "سلام، ده روز پیش سفارش دادم ولی هنوز چیزی دریافت "
                "نکرده‌ام. لطفاً بررسی کنید بسته کجاست."),
            type='question', tags=["Delivery"], priority='1',
            ask=(
                "لطفاً نشانی کامل و کد پستی خود را برای ما بفرستید تا با "
                "شرکت حمل‌ونقل هماهنگ کنیم."),
            customer="نشانی من همان نشانی ثبت‌شده است، پلاک ۱۲.",
            answer=(
                "بستهٔ شما امروز دوباره ارسال شد و تا دو روز کاری دیگر به "
                "دستتان می‌رسد. کد رهگیری: {tracking}"),
            thanks="بسته رسید، خیلی ممنون!",
            note="Carrier lost the parcel: sent again, ref {ref}.",
            ),
        dict(
            subject="چطور رمز عبور حسابم را تغییر دهم؟",
            description=(
                "می‌خواهم رمز عبور حساب کاربری‌ام را در وب‌سایت عوض کنم "
                "ولی گزینه‌اش را پیدا نمی‌کنم."),
            type='question', tags=["Login", "Website"], priority='0',
            answer=(
                "در صفحهٔ «حساب من» روی «تغییر رمز عبور» کلیک کنید و "
                "دستورها را دنبال کنید."),
            thanks="پیدا کردم، سپاسگزارم.",
            note="Pointed to the account page.",
            ),
        dict(
            subject="بستهٔ سفارش {order} آسیب‌دیده رسید",
            description=(
                "جعبهٔ سفارش {order} له شده بود و بدنهٔ {product} داخل آن "
                "ترک خورده است. عکس بسته را پیوست کرده‌ام."),
            type='complaint', tags=["Delivery", "Return"], priority='2',
            ask=(
                "از عکس سپاسگزاریم. لطفاً شمارهٔ سریال دستگاه را هم برای "
                "ما بفرستید تا دستگاه جایگزین را ارسال کنیم."),
            customer="شمارهٔ سریال SN-{ref} است.",
            answer=(
                "یک {product} جایگزین بدون هزینه برای شما ارسال شد و تا دو "
                "روز کاری دیگر می‌رسد. نیازی به بازگرداندن دستگاه "
                "آسیب‌دیده نیست."),
            thanks="دستگاه جدید رسید، خیلی ممنون!",
            note="Claim {ref} filed with the carrier, replacement sent.",
            ),
        ],
    'tech': [
        dict(
            subject="چاپگر فقط صفحهٔ سفید چاپ می‌کند",
            description=(
                "بعد از تعویض کارتریج، چاپگر {printer} فقط صفحهٔ سفید "
                "بیرون می‌دهد. چه کار باید بکنم؟"),
            type='incident', tags=["Printer"], priority='1',
            ask=(
                "لطفاً بررسی کنید که نوار محافظ نارنجی از روی کارتریج جدید "
                "جدا شده باشد و سپس یک صفحهٔ آزمایشی چاپ کنید."),
            customer="نوار را جدا کردم ولی صفحهٔ آزمایشی هم سفید است.",
            answer=(
                "لطفاً از منوی نگهداری، گزینهٔ «تمیز کردن هد چاپ» را دو "
                "بار اجرا کنید. این کار مشکل را برطرف می‌کند."),
            thanks="مشکل حل شد، سپاسگزارم.",
            note="Head cleaning fixed it.",
            ),
        ],
    }

SPAM = [
    dict(
        subject="Boost your sales with our SEO package",
        description=(
            "Dear website owner, we can bring your site to the first page "
            "of search results in 30 days. Reply for our special offer!"),
        email='offers@seo-growth.example', name="SEO Growth Team"),
    dict(
        subject="Partnership proposal - limited time",
        description=(
            "Hello, we are looking for partners to resell our amazing "
            "crypto trading platform. Huge commissions guaranteed."),
        email='partners@crypto-deal.example', name="Crypto Deal"),
    dict(
        subject="Your mailbox is almost full",
        description=(
            "Your mailbox has reached 98% of its quota. Click the link "
            "below to upgrade your storage now."),
        email='no-reply@mailbox-quota.example', name="Mail Admin"),
    ]

ACKNOWLEDGEMENTS = [
    "Thank you for contacting us. We are looking into it and will come "
    "back to you shortly.",
    "Thanks for the details. I am checking this with my colleagues and "
    "will update you today.",
    "Thank you for your message. I have started investigating and will "
    "keep you posted.",
    ]
FOLLOW_UPS = [
    "Hello, any news on this? It is becoming urgent for us.",
    "Just checking that you received my request.",
    "Could you give me an update, please?",
    ]
PERSIAN_FOLLOW_UPS = ["سلام، خبری نشد؟ لطفاً زودتر پیگیری کنید."]
STILL_BROKEN = [
    "Unfortunately the problem came back this morning.",
    "Sorry, it worked for a day but it happens again.",
    ]
STILL_BROKEN_ANSWER = (
    "Thanks for telling us. We have applied a permanent fix on our side: "
    "it should not happen again. Do not hesitate to write if it does.")
WELCOME = [
    "You are welcome! Have a nice day.",
    "Glad it is sorted. Do not hesitate to contact us again.",
    ]
PERSIAN_WELCOME = "خواهش می‌کنم! روز خوبی داشته باشید."
NOTES = [
    "Customer called to follow up; told them we are on it.",
    "Checked the history: first time this customer reports this.",
    "Asked {colleague} for a second opinion.",
    "Same question as last month from this customer; see the older ticket.",
    ]
CANCEL_NOTES = [
    "Duplicate of another ticket from the same customer: closing this one.",
    "Customer solved it on their own and asked us to close the request.",
    "Sent to the wrong department by the customer; they contacted the "
    "reseller instead.",
    ]
CANCEL_REPLY = (
    "As discussed, we are closing this request. Do not hesitate to write "
    "again if you need anything.")
ESCALATE_NOTE = (
    "Escalated to engineering: reproduced on the latest version, bug "
    "ENG-{ref}.")
PAYMENT_NOTE = "Waiting for the customer's transfer before going on."

CHANNELS = [
    ('email', 40), ('website', 20), ('portal', 15), ('phone', 12),
    ('livechat', 8), ('internal', 3), ('api', 2)]

# The files of a topic that come through the website, shared with the
# customer: those the customer sends with the ticket ('description') or
# with their answer to the agent's question ('customer'), and those the
# agent sends with the answer ('answer'). See make_file.
TOPIC_FILES = {
    "Parcel arrived damaged": {
        'customer': ['damaged-box.png', 'shipping-label.png']},
    "Wrong item in my package": {'description': ['received-item.png']},
    "Warranty claim for my {product}": {
        'customer': ['purchase-invoice.pdf']},
    "Missing user manual for the {product}": {
        'answer': ['user-manual-fr.pdf']},
    "Quote for 25 units of {product}": {'answer': ['quote.pdf']},
    "بستهٔ سفارش {order} آسیب‌دیده رسید": {
        'description': ['damaged-box.png']},
    }

# The stars customers give to the solved tickets of the teams that ask for
# a rating, with what they may write
RATINGS = [(5, 55), (4, 32), (3, 13)]
RATING_COMMENTS = {
    5: [
        "Quick and friendly answer, thank you!",
        "Solved with the first reply. Great service.",
        "Very helpful, everything was clearly explained.",
        ],
    4: [
        "Solved, but it took a couple of days.",
        "Good help, I only had to wait a bit for the first answer.",
        ],
    3: [
        "OK in the end, but I had to explain the problem twice.",
        "It works now, though the answers were slow.",
        ],
    }
PERSIAN_RATING_COMMENTS = {
    5: [
        "پاسخ سریع و دقیق بود، سپاسگزارم.",
        "خیلی خوب راهنمایی کردید، ممنون!",
        ],
    4: ["مشکل حل شد، فقط کمی طول کشید."],
    3: ["در نهایت حل شد، ولی چند بار باید توضیح می‌دادم."],
    }
# How many of the solved tickets of those teams the customers rate
RATED = 0.4

# The customer accounts of the website (web.user): e-mail (a contact of
# the customer), customer, customer manager (sees every ticket of the
# customer, the others those they follow), mobile number to sign in with a
# code, who, what they see
PORTAL_USERS = [
    ('hannah.weber@northwind.example', "Northwind Traders", True, None,
        "Hannah Weber, Northwind Traders: customer manager",
        "sees every ticket of the company"),
    ('it@northwind.example', "Northwind Traders", False, None,
        "Jonas Pohl, Northwind Traders", "sees the tickets he follows"),
    ('mia.laurent@northwind.example', "Northwind Traders", False, None,
        "Mia Laurent, Northwind Traders", "sees the tickets she follows"),
    ('shirin.ahmadi@mail.example', "شیرین احمدی", False, '+989121234567',
        "Shirin Ahmadi, pages in Persian",
        "sees the tickets she follows; also signs in with her mobile"),
    ]

# Tickets of the portal accounts, besides the ones they get by chance:
# team, contact e-mail, topic (its subject), final state, channel, rating
# of a solved ticket (stars, comment), e-mails of colleagues who follow it
PORTAL_TICKETS = [
    dict(team='care', contact='hannah.weber@northwind.example',
        subject="Quote for 25 units of {product}", state='solved',
        channel='portal', followers=['mia.laurent@northwind.example'],
        rating=(5, "Quote received the same day, thank you!")),
    dict(team='care', contact='hannah.weber@northwind.example',
        subject="Parcel arrived damaged", state='waiting',
        channel='website'),
    dict(team='care', contact='it@northwind.example',
        subject="Wrong item in my package", state='solved',
        channel='portal',
        rating=(4, "Sorted quickly, but the wrong item was annoying.")),
    dict(team='care', contact='it@northwind.example',
        subject="Parcel arrived damaged", state='solved', channel='portal',
        rating=(5, "Replacement sent at once. Excellent service.")),
    dict(team='care', contact='it@northwind.example',
        subject="Cannot change the e-mail address of my account",
        state='in_progress', channel='portal'),
    dict(team='care', contact='mia.laurent@northwind.example',
        subject="Warranty claim for my {product}", state='solved',
        channel='website',
        rating=(3, "Fine in the end, but I had to send the invoice "
            "twice.")),
    dict(team='care', contact='mia.laurent@northwind.example',
        subject="Missing user manual for the {product}", state='solved',
        channel='portal', rating=(5, "The French manual, thanks!")),
    dict(team='care', contact='mia.laurent@northwind.example',
        subject="Change the delivery address of order {order}",
        state='new', channel='portal',
        followers=['it@northwind.example']),
    dict(team='care', contact='shirin.ahmadi@mail.example',
        subject="سفارش {order} هنوز تحویل نشده است", state='solved',
        channel='portal',
        rating=(5, "بسته دوباره ارسال شد و به موقع رسید. سپاسگزارم!")),
    dict(team='care', contact='shirin.ahmadi@mail.example',
        subject="بستهٔ سفارش {order} آسیب‌دیده رسید", state='waiting',
        channel='website'),
    ]

# The announcements of the website: title, body, start and end (days from
# now; end None: until further notice), teams (keys; empty: every team)
ANNOUNCEMENTS = [
    dict(
        title="Deliveries delayed by a carrier strike",
        body=(
            "The staff of our main carrier are on strike until next week: "
            "parcels may arrive two to three days late. There is no need "
            "to contact us about a late delivery before then; we will "
            "write to you if your order is affected. Thank you for your "
            "patience."),
        persian=dict(
            title="تأخیر در ارسال به دلیل اعتصاب شرکت حمل‌ونقل",
            body=(
                "کارکنان شرکت حمل‌ونقل اصلی ما تا هفتهٔ آینده در اعتصاب "
                "هستند و بسته‌ها ممکن است دو تا سه روز دیرتر برسند. تا آن "
                "زمان نیازی نیست دربارهٔ تأخیر ارسال با ما تماس بگیرید؛ "
                "اگر سفارش شما تحت تأثیر باشد به شما خبر می‌دهیم. از "
                "صبر شما سپاسگزاریم.")),
        start=-2, end=7, teams=['care']),
    dict(
        title="Customer portal maintenance on Saturday night",
        body=(
            "The customer portal will be unavailable on Saturday from "
            "22:00 to 23:30 (London time) for maintenance. The e-mails you "
            "send us meanwhile reach us as usual."),
        persian=None,
        start=-26, end=-22, teams=[]),
    ]

# How many tickets end in each state
STATES = [
    ('new', 24), ('in_progress', 36), ('waiting', 20), ('solved', 100),
    ('cancelled', 20)]
# The age of a ticket in each final state: (min, max) days
AGES = {
    'new': (0.02, 3),
    'in_progress': (0.1, 12),
    'waiting': (0.5, 16),
    'solved': (0.3, HISTORY_DAYS),
    'cancelled': (0.1, HISTORY_DAYS),
    }


# --- Command line and database -----------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Build the demo database of Helpdesk for Tryton.")
    parser.add_argument(
        '--database', required=True, metavar='PATH',
        help="the SQLite file to build, e.g. var/demo.sqlite; the "
        "database name is the file name without .sqlite")
    parser.add_argument(
        '--force', action='store_true',
        help="rebuild the database even if it exists")
    parser.add_argument(
        '--tickets', type=int, default=TICKETS, metavar='N',
        help="the number of tickets (default: %(default)s)")
    return parser.parse_args(argv)


def configure(directory):
    "Configure trytond for the SQLite databases of directory"
    # Before trytond.config is imported: it reads them at import
    os.environ.pop('TRYTOND_CONFIG', None)
    os.environ['TRYTOND_DATABASE_URI'] = 'sqlite://'
    import trytond.config as config
    config.set('database', 'uri', 'sqlite://')
    config.set('database', 'path', directory)
    config.set('database', 'language', 'en')
    config.set('email', 'from', EMAIL_FROM)


def is_demo_database(path):
    "Tell whether the SQLite file holds demo tickets"
    try:
        connection = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
        try:
            count, = connection.execute(
                'SELECT COUNT(*) FROM helpdesk_ticket').fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return count > 0


def remove_database(directory, name):
    for suffix in ['.sqlite', '.sqlite-journal', '.sqlite-wal',
            '.sqlite-shm']:
        try:
            os.remove(os.path.join(directory, name + suffix))
        except FileNotFoundError:
            pass
    # The files of the attachments: trytond's filestore of the database
    shutil.rmtree(os.path.join(directory, name), ignore_errors=True)


def finish_database(directory, build, path):
    """Copy the built database to path, with what its write-ahead log
    holds, and move its filestore beside it"""
    from trytond import backend
    backend.Database(build).close()
    partial = path + '.partial'
    if os.path.exists(partial):
        os.remove(partial)
    source = sqlite3.connect(os.path.join(directory, build + '.sqlite'))
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
        target.execute('PRAGMA journal_mode = DELETE')
    finally:
        target.close()
        source.close()
    directory_, name = os.path.split(path)
    name = name[:-len('.sqlite')]
    remove_database(directory_, name)
    os.replace(partial, path)
    if os.path.isdir(os.path.join(directory, build)):
        os.replace(
            os.path.join(directory, build), os.path.join(directory_, name))
    remove_database(directory, build)


def create_database(name):
    "Create the database with the modules and languages"
    from trytond.commandline import get_parser_admin
    previous = os.environ.get('TRYTONPASSFILE')
    with tempfile.NamedTemporaryFile('w', suffix='.txt') as passfile:
        # Any valid password: set_admin_password sets the demo one
        passfile.write(secrets.token_urlsafe(16) + '\n')
        passfile.flush()
        os.environ['TRYTONPASSFILE'] = passfile.name
        try:
            options = get_parser_admin().parse_args([
                    '--database', name,
                    '--update', *MODULES,
                    '--activate-dependencies',
                    '--language', *LANGUAGES,
                    '--email', ADMIN_EMAIL,
                    ])
            options.indexes = True
            import trytond.admin as admin
            admin.run(options)
        finally:
            if previous is None:
                del os.environ['TRYTONPASSFILE']
            else:
                os.environ['TRYTONPASSFILE'] = previous


# --- Simulated clock ---------------------------------------------------------

_REAL_DATETIME = dt.datetime


class _ClockMeta(type):

    def __instancecheck__(cls, instance):
        return isinstance(instance, _REAL_DATETIME)

    def __subclasscheck__(cls, subclass):
        return issubclass(subclass, _REAL_DATETIME)


class _SimulatedDatetime(_REAL_DATETIME, metaclass=_ClockMeta):
    "datetime.datetime whose now() is the simulated clock"
    offset = dt.timedelta(0)

    def __new__(cls, *args, **kwargs):
        # Every instance is a real datetime
        return _REAL_DATETIME(*args, **kwargs)

    @classmethod
    def now(cls, tz=None):
        return _REAL_DATETIME.now(tz) + cls.offset

    @classmethod
    def utcnow(cls):
        return _REAL_DATETIME.now(dt.timezone.utc).replace(
            tzinfo=None) + cls.offset

    @classmethod
    def today(cls):
        return cls.now()


class SimulatedClock:
    """While active, datetime.datetime.now() (which the product and the
    SQLite backend use for every date they set) returns the moment set"""

    def __enter__(self):
        dt.datetime = _SimulatedDatetime
        return self

    def __exit__(self, *exc):
        dt.datetime = _REAL_DATETIME
        _SimulatedDatetime.offset = dt.timedelta(0)

    def set(self, moment):
        "Set the clock to moment, a naive datetime of the server's time"
        _SimulatedDatetime.offset = moment - _REAL_DATETIME.now()


# --- SMTP sink ---------------------------------------------------------------

class SMTPSink:
    "A local SMTP server that counts the messages it receives and drops them"

    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return '250 Message accepted for delivery'

    def __enter__(self):
        from aiosmtpd.controller import Controller
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        self._controller = Controller(self, hostname='127.0.0.1', port=port)
        self._controller.start()
        import trytond.config as config
        config.set('email', 'uri', f'smtp://127.0.0.1:{port}')
        return self

    def __exit__(self, *exc):
        self._controller.stop()


# --- Loading -----------------------------------------------------------------

def uk_bank_holidays(year):
    "Yield (date, name) of the bank holidays of England in the year"
    # Easter Sunday: anonymous Gregorian algorithm
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * l_) // 433
    month = (h + l_ - 7 * m + 90) // 25
    easter = dt.date(year, month, (h + l_ - 7 * m + 33 * month + 19) % 32)

    def first_monday(month):
        day = dt.date(year, month, 1)
        return day + dt.timedelta(days=(7 - day.weekday()) % 7)

    def last_monday(month):
        day = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(
            days=1)
        return day - dt.timedelta(days=day.weekday())

    taken = set()
    for day, name in [
            (dt.date(year, 1, 1), "New Year's Day"),
            (easter - dt.timedelta(days=2), "Good Friday"),
            (easter + dt.timedelta(days=1), "Easter Monday"),
            (first_monday(5), "Early May bank holiday"),
            (last_monday(5), "Spring bank holiday"),
            (last_monday(8), "Summer bank holiday"),
            (dt.date(year, 12, 25), "Christmas Day"),
            (dt.date(year, 12, 26), "Boxing Day"),
            ]:
        # A holiday on a weekend is taken on the next free weekday
        while day.weekday() >= 5 or day in taken:
            day += dt.timedelta(days=1)
        taken.add(day)
        yield day, name


class Loader:

    def __init__(self, config, clock, tickets):
        self.config = config
        self.clock = clock
        self.ticket_count = tickets
        # What happens is the same on every run; when it happens depends
        # on the moment of the run (weekends, office hours)
        self.rng = random.Random(SEED)
        self.dates_rng = random.Random(SEED + 1)
        self.contexts = {}
        self.users = {}
        self.logins = {}
        self.teams = {}
        self.stages = {}
        self.team_stages = defaultdict(dict)
        self.types = {}
        self.tags = {}
        self.customers = []
        self.web_users = {}
        self.counter = Counter()
        # The story ends a few minutes before now
        self.anchor = _REAL_DATETIME.now().replace(
            second=0, microsecond=0) - dt.timedelta(minutes=5)
        self.leaves = self.plan_leaves()

    # Users -------------------------------------------------------------------

    def act_as(self, user_id):
        "Make the next proteus calls as the user"
        from proteus import Model
        if user_id not in self.contexts:
            self.config.user = user_id
            User = Model.get('res.user', config=self.config)
            self.contexts[user_id] = User.get_preferences(True, {})
        self.config.user = user_id
        self.config._context = self.contexts[user_id]

    def admin_id(self):
        return self.users[ADMIN_LOGIN]

    @property
    def context(self):
        return self.config.context

    # Static data -------------------------------------------------------------

    def load_company(self):
        from proteus import Model
        Currency = Model.get('currency.currency')
        Party = Model.get('party.party')
        Company = Model.get('company.company')
        User = Model.get('res.user')

        currency = Currency(
            name="Pound Sterling", code='GBP', symbol='£', numeric_code='826',
            rounding=Decimal('0.01'), digits=2)
        currency.save()

        party = Party(name=COMPANY)
        party.contact_mechanisms.new(
            type='email', value='support@trytonsupport.example')
        party.contact_mechanisms.new(type='phone', value='+44 20 7946 0000')
        party.contact_mechanisms.new(
            type='website', value='https://trytonsupport.example')
        address, = party.addresses
        address.street = "25 Old Broad Street"
        address.postal_code = "EC2N 1HN"
        address.city = "London"
        party.save()
        company = Company(
            party=party, currency=currency, timezone=TIMEZONE)
        company.save()

        admin, = User.find([('login', '=', ADMIN_LOGIN)])
        admin.companies.append(company)
        admin.company = company
        admin.save()
        self.users[ADMIN_LOGIN] = admin.id
        self.company = company
        # The preferences of admin now have the company
        self.contexts.pop(admin.id, None)
        self.act_as(admin.id)

    def load_agents(self):
        from proteus import Model
        Company = Model.get('company.company')
        User = Model.get('res.user')
        Group = Model.get('res.group')
        Lang = Model.get('ir.lang')
        agent_group, = Group.find([('name', '=', "Helpdesk Agent")])
        manager_group, = Group.find([('name', '=', "Helpdesk Manager")])
        languages = {l.code: l for l in Lang.find([
                    ('code', 'in', ['en', 'fa'])])}
        users = []
        for login, name, manager, language in AGENTS:
            user = User(login=login, name=name)
            user.email = f'{login}@trytonsupport.example'
            user.password = AGENT_PASSWORD
            user.language = languages[language]
            user.companies.append(Company(self.company.id))
            user.company = user.companies[0]
            user.groups.append(Group(agent_group.id))
            if manager:
                user.groups.append(Group(manager_group.id))
            users.append(user)
        User.save(users)
        for user in users:
            self.users[user.login] = user.id
        self.logins = {v: k for k, v in self.users.items()}

    def plan_leaves(self):
        "Return the holidays and the time off: (login or None, start, end)"
        zone = ZoneInfo(TIMEZONE)

        def utc(day):
            local = dt.datetime.combine(day, dt.time()).replace(tzinfo=zone)
            return local.astimezone(dt.timezone.utc).replace(tzinfo=None)

        today = self.anchor.date()
        first = today - dt.timedelta(days=HISTORY_DAYS + 7)
        last = today + dt.timedelta(days=400)
        leaves = []
        for year in range(first.year, last.year + 1):
            for day, name in uk_bank_holidays(year):
                if first <= day <= last:
                    leaves.append(
                        (None, name, utc(day),
                            utc(day + dt.timedelta(days=1))))

        def weekday(days):
            day = today + dt.timedelta(days=days)
            while day.weekday() >= 5:
                day -= dt.timedelta(days=1)
            return day
        # Everybody is away: the tickets of that day wait for the next
        away = self.away_day = weekday(-17)
        leaves.append((None, "Company away day", utc(away),
                utc(away + dt.timedelta(days=1))))

        def monday(days):
            day = today + dt.timedelta(days=days)
            return day - dt.timedelta(days=day.weekday())

        def next_weekday(day):
            day += dt.timedelta(days=1)
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            return day
        for login, name, start, end in [
                ('liam', "Holiday", monday(-24), monday(-24) + dt.timedelta(
                        days=5)),
                ('tomas', "Training", monday(-10) + dt.timedelta(days=2),
                    monday(-10) + dt.timedelta(days=4)),
                ('kenji', "Day off", next_weekday(today),
                    next_weekday(today) + dt.timedelta(days=1)),
                ('emma', "Holiday", monday(14), monday(14) + dt.timedelta(
                        days=5)),
                ]:
            leaves.append((login, name, utc(start), utc(end)))
        return leaves

    def on_leave(self, login, moment):
        return any(
            start <= moment < end for user, _, start, end in self.leaves
            if user in {None, login})

    def load_calendar(self):
        from proteus import Model
        Calendar = Model.get('helpdesk.calendar')
        User = Model.get('res.user')
        calendar = Calendar(name="London office", timezone=TIMEZONE)
        for weekday in range(5):
            for hour_from, hour_to in [(8, 12.5), (13.5, 17.5)]:
                calendar.attendances.new(
                    weekday=str(weekday),
                    hour_from=dt.timedelta(hours=hour_from),
                    hour_to=dt.timedelta(hours=hour_to))
        for login, name, start, end in self.leaves:
            leave = calendar.leaves.new(name=name, start=start, end=end)
            if login:
                leave.user = User(self.users[login])
        calendar.save()
        self.calendar = calendar.id

    def load_teams(self):
        from proteus import Model
        Calendar = Model.get('helpdesk.calendar')
        Team = Model.get('helpdesk.team')
        User = Model.get('res.user')
        Stage = Model.get('helpdesk.stage')
        teams = []
        for key, values in TEAMS.items():
            team = Team(
                name=values['name'],
                description=values['description'],
                sequence=values['sequence'],
                visibility=values['visibility'],
                auto_assign=values['auto_assign'],
                assign_method=values['assign_method'],
                calendar=Calendar(self.calendar),
                follower_emails=values['follower_emails'],
                use_rating=values['use_rating'],
                portal_close=values['portal_close'],
                inactive_close_days=values.get('inactive_close_days'),
                email=values.get('email'),
                livechat=values.get('livechat', False),
                website_published=values['website_published'])
            for field in ['leaders', 'members', 'follower_users']:
                getattr(team, field).extend(
                    User(self.users[l]) for l in values[field])
            for priority, yellow, red in values.get('waiting_thresholds', []):
                team.waiting_thresholds.new(
                    priority=priority, yellow_hours=yellow, red_hours=red)
            teams.append(team)
        Team.save(teams)
        for key, team in zip(TEAMS, teams):
            self.teams[key] = team.id
            # What the Persian-speaking customers and agents read
            Team._proxy.write(
                [team.id], TEAMS[key]['persian'],
                dict(self.context, language='fa'))

        stages = []
        for key, name, category, sequence, team in EXTRA_STAGES:
            stage = Stage(name=name, category=category, sequence=sequence)
            if team:
                stage.teams.append(Team(self.teams[team]))
            stages.append(stage)
        Stage.save(stages)
        for (key, *_), stage in zip(EXTRA_STAGES, stages):
            self.stages[key] = stage.id
        for key, team_id in self.teams.items():
            for stage in Stage.find([
                        ['OR',
                            ('teams', '=', None),
                            ('teams', '=', team_id),
                            ],
                        ]):
                self.team_stages[key].setdefault(stage.category, stage.id)

    def load_types_and_tags(self):
        from proteus import Model
        Type = Model.get('helpdesk.ticket.type')
        Tag = Model.get('helpdesk.tag')
        types = [Type(name=n, sequence=10 * i)
            for i, (_, n) in enumerate(TYPES, 1)]
        Type.save(types)
        self.types = {k: t.id for (k, _), t in zip(TYPES, types)}
        tags = [Tag(name=n, color=c) for n, c in TAGS]
        Tag.save(tags)
        self.tags = {t.name: t.id for t in tags}

    def load_customers(self):
        from proteus import Model
        Party = Model.get('party.party')
        Lang = Model.get('ir.lang')
        Team = Model.get('helpdesk.team')
        User = Model.get('res.user')
        languages = {l.code: l for l in Lang.find([
                    ('code', 'in', ['en', 'fa'])])}
        parties = []
        for (name, language, email_, phone, street, postal_code, city, vip,
                routing, contacts) in CUSTOMERS:
            party = Party(name=name, lang=languages[language])
            party.contact_mechanisms.new(type='email', value=email_)
            party.contact_mechanisms.new(type='phone', value=phone)
            for contact_name, contact_email in contacts:
                party.contact_mechanisms.new(
                    type='email', value=contact_email, name=contact_name)
            address, = party.addresses
            address.street = street
            address.postal_code = postal_code
            address.city = city
            if routing:
                # The customer's tickets of the team go to the agent
                team, agent = routing
                party.helpdesk_team = Team(self.teams[team])
                party.helpdesk_agent = User(self.users[agent])
            parties.append(party)
        Party.save(parties)
        for party, (name, language, email_, phone, *_, vip, routing,
                contacts) in zip(parties, CUSTOMERS):
            self.customers.append(dict(
                    id=party.id, name=name, language=language, phone=phone,
                    vip=vip, routing=routing,
                    contacts=contacts or [(name, email_)]))

    def load_portal_users(self):
        "Create the customer accounts of the website"
        from proteus import Model
        Party = Model.get('party.party')
        WebUser = Model.get('web.user')
        parties = {c['name']: c['id'] for c in self.customers}
        users = []
        for email_, customer, manager, mobile, *_ in PORTAL_USERS:
            user = WebUser(email=email_, party=Party(parties[customer]))
            user.email_valid = True
            user.helpdesk_manager = manager
            user.mobile = mobile
            users.append(user)
        WebUser.save(users)
        self.web_users = {u.email: u.id for u in users}
        set_password_hash(
            self.config.database_name, 'web.user', list(
                self.web_users.values()), PORTAL_PASSWORD)

    def load_inbox(self):
        """The inbox of the e-mail intake with the rule that makes tickets
        of the mails, at a fixed address"""
        from proteus import Model
        Inbox = Model.get('inbound.email.inbox')
        inbox = Inbox(name="Helpdesk mailboxes")
        inbox.rules.new(action='helpdesk.ticket|from_inbound_email')
        inbox.save()
        Inbox._proxy.write(
            [inbox.id], {'identifier': DEMO_INBOX}, self.context)

    def load_announcements(self):
        "Publish the announcements of the website"
        from proteus import Model
        Announcement = Model.get('helpdesk.announcement')
        Company = Model.get('company.company')
        Team = Model.get('helpdesk.team')
        now = _REAL_DATETIME.now().replace(second=0, microsecond=0)
        for values in ANNOUNCEMENTS:
            start = now + dt.timedelta(days=values['start'])
            # Written the working day before it starts
            self.clock.set(start - dt.timedelta(days=1))
            announcement = Announcement(
                title=values['title'], body=values['body'], start=start,
                company=Company(self.company.id))
            if values['end'] is not None:
                announcement.end = now + dt.timedelta(days=values['end'])
            announcement.teams.extend(
                Team(self.teams[t]) for t in values['teams'])
            announcement.save()
            if values['persian']:
                Announcement._proxy.write(
                    [announcement.id], values['persian'],
                    dict(self.context, language='fa'))

    # The story of the tickets ------------------------------------------------

    def plan(self):
        "Return the tickets to create, each with its events, by date"
        rng = self.rng
        states = []
        for state, count in STATES:
            states.extend([state] * count)
        # Keep the proportions for another number of tickets
        if self.ticket_count != len(states):
            states = [states[int(i * len(states) / self.ticket_count)]
                for i in range(self.ticket_count)]
        rng.shuffle(states)
        cancelled = [i for i, s in enumerate(states) if s == 'cancelled']
        spam = dict(zip(cancelled, SPAM))
        # The tickets of the portal accounts take the place of others in
        # the same state
        portal = {}
        for values in PORTAL_TICKETS:
            for index, state in enumerate(states):
                if (state == values['state'] and index not in spam
                        and index not in portal):
                    portal[index] = values
                    break
        plans = []
        team_keys = list(TEAMS)
        team_weights = [TEAMS[k]['weight'] for k in team_keys]
        for index, state in enumerate(states):
            if index in spam:
                plan = self.plan_spam(spam[index])
            elif index in portal:
                plan = self.plan_portal(portal[index])
            else:
                team = rng.choices(team_keys, team_weights)[0]
                plan = self.plan_ticket(team, state)
            plans.append(plan)
        # A few tickets come on the away day: nobody is there to take them
        away = [p for p in plans
            if p['state'] == 'solved' and TEAMS[p['team']]['auto_assign']
            and not p['persian'] and not p['files']][:3]
        for plan in plans:
            if plan in away:
                plan['channel'] = 'email'
                self.plan_dates(plan, self.away_day)
            else:
                self.plan_dates(plan)
        plans.sort(key=lambda p: p['created'])
        return plans

    def plan_spam(self, spam):
        return dict(
            spam=True, team='care', state='cancelled', persian=False,
            subject=spam['subject'], description=spam['description'],
            type=None, tags=[], priority='0', channel='email', party=None,
            contact_name=spam['name'], contact_email=spam['email'],
            contact_phone=None, user=None, first_name=None, files={},
            followers=[], events=[
                ('note', self.rng.uniform(0.2, 3), 'leader',
                    "Spam: closing without an answer."),
                ('cancel', 0.02, 'leader'),
                ])

    def plan_portal(self, values):
        "Plan the ticket of PORTAL_TICKETS values"
        customer, = [c for c in self.customers
            if values['contact'] in {e for _, e in c['contacts']}]
        contact, = [c for c in customer['contacts']
            if c[1] == values['contact']]
        topics = TOPICS
        if customer['language'] == 'fa' and values['team'] in PERSIAN_TOPICS:
            topics = PERSIAN_TOPICS
        topic, = [t for t in topics[values['team']]
            if t['subject'] == values['subject']]
        return self.plan_ticket(
            values['team'], values['state'], customer=customer,
            topic=topic, contact=contact, channel=values['channel'],
            rating=values.get('rating'),
            followers=values.get('followers', []))

    def plan_ticket(self, team, state, customer=None, topic=None,
            contact=None, channel=None, rating=None, followers=()):
        "Plan a ticket, of a customer and a topic drawn unless given"
        rng = self.rng
        if customer is None:
            customer = rng.choice(self.customers)
        persian = customer['language'] == 'fa' and team in PERSIAN_TOPICS
        if topic is None:
            topic = rng.choice((PERSIAN_TOPICS if persian else TOPICS)[team])
        # Fill every text of the topic with the same values
        values = dict(
            order=f'SO{rng.randint(10200, 19800)}',
            invoice=(f'INV/{rng.choice([2024, 2025])}/'
                f'{rng.randint(100, 999):04d}'),
            product=rng.choice(PRODUCTS),
            printer=rng.choice(PRINTERS),
            device=rng.choice(DEVICES),
            amount=(f'{rng.randint(19, 1490)}.'
                f'{rng.choice(["00", "50", "90"])}'),
            tracking=f'1Z{rng.randint(10**9, 10**10 - 1)}',
            ref=rng.randint(10000, 99999),
            year=rng.choice([2023, 2024]))
        texts = {k: v.format(**values) for k, v in topic.items()
            if isinstance(v, str)}
        if contact is None:
            contact = rng.choice(customer['contacts'])
        contact_name, contact_email = contact
        if channel is None:
            channel = rng.choices(*zip(*CHANNELS))[0]
        # The files come with what the customer sends through the website
        files = {}
        if (TEAMS[team]['visibility'] == 'portal'
                and channel in {'website', 'portal'}):
            files = TOPIC_FILES.get(topic['subject'], {})

        priority = int(topic['priority'])
        draw = rng.random()
        if draw < 0.15:
            priority -= 1
        elif draw > 0.8:
            priority += 1
        if customer['vip']:
            priority += 1
        priority = str(min(max(priority, 0), 3))
        tags = list(topic['tags'])
        if customer['vip']:
            tags.append("VIP")

        if persian:
            user = 'reza'
        elif customer['routing'] and customer['routing'][0] == team:
            user = customer['routing'][1]
        else:
            user = rng.choice(TEAMS[team]['members'])
        if state == 'new' or (state == 'cancelled' and rng.random() < 0.4):
            user = None
        plan = dict(
            spam=False, team=team, state=state, persian=persian,
            subject=texts['subject'], description=texts['description'],
            type=topic['type'], tags=tags, priority=priority,
            channel=channel, party=customer['id'],
            contact_name=contact_name, contact_email=contact_email,
            contact_phone=customer['phone'], user=user,
            first_name=contact_name.split()[0], values=values, files=files,
            followers=list(followers), rating=rating)
        plan['events'] = self.plan_events(plan, texts)
        return plan

    def plan_events(self, plan, texts):
        """Return the events of the ticket after its creation:
        (action, hours after the previous event, actor, *arguments)"""
        rng = self.rng
        state = plan['state']
        team = plan['team']
        persian = plan['persian']
        files = plan['files']
        events = []

        def reply(hours, body, files=()):
            events.append(('reply', hours, 'user', body, list(files)))

        def customer(hours, body, files=()):
            events.append(('customer', hours, None, body, list(files)))

        def note(hours, body):
            # Some notes name a colleague: which one is drawn now
            events.append(('note', hours, 'user', body, rng.random()))

        if state == 'new':
            if rng.random() < 0.3:
                customer(rng.uniform(2, 30), rng.choice(
                        PERSIAN_FOLLOW_UPS if persian else FOLLOW_UPS))
            return events

        if state == 'cancelled' and not plan['user']:
            events.append(('note', rng.uniform(0.2, 6), 'leader',
                    rng.choice(CANCEL_NOTES)))
            events.append(('cancel', 0.02, 'leader'))
            return events

        urgency = {'3': 0.2, '2': 0.5, '1': 1, '0': 1.5}[plan['priority']]
        if (TEAMS[team]['visibility'] in {'internal', 'portal'}
                or plan['user'] in TEAMS[team]['leaders']):
            # The agent takes the ticket from the queue
            events.append(('assign', rng.uniform(0.1, 5) * urgency, 'user'))
        else:
            # A leader dispatches the ticket, the agent starts on it
            events.append(
                ('dispatch', rng.uniform(0.1, 4) * urgency, 'leader'))
            events.append(('start', rng.uniform(0.05, 1), 'user'))
        if state == 'cancelled':
            if rng.random() < 0.5:
                reply(rng.uniform(0.1, 2), CANCEL_REPLY)
            note(rng.uniform(0.05, 1), rng.choice(CANCEL_NOTES))
            events.append(('cancel', 0.02, 'user'))
            return events

        ask = texts.get('ask')
        if state == 'in_progress':
            if rng.random() < 0.8:
                reply(rng.uniform(0.1, 2), rng.choice(ACKNOWLEDGEMENTS)
                    if not persian else texts.get('ask', texts['answer']))
            if rng.random() < 0.4:
                note(rng.uniform(0.1, 4), rng.choice(NOTES))
            if team == 'tech' and rng.random() < 0.3:
                note(rng.uniform(0.5, 6),
                    ESCALATE_NOTE.format(ref=rng.randint(1000, 9999)))
                events.append(('stage', 0.01, 'user', 'escalated'))
            if rng.random() < 0.4:
                customer(rng.uniform(1, 30), rng.choice(
                        PERSIAN_FOLLOW_UPS if persian else FOLLOW_UPS))
                if rng.random() < 0.5:
                    reply(rng.uniform(0.2, 3), rng.choice(ACKNOWLEDGEMENTS)
                        if not persian else texts['answer'])
            return events

        if state == 'waiting':
            if rng.random() < 0.3:
                note(rng.uniform(0.1, 2), rng.choice(NOTES))
            reply(rng.uniform(0.1, 3), ask or rng.choice(ACKNOWLEDGEMENTS))
            events.append(('wait', 0.01, 'user'))
            if team == 'billing' and rng.random() < 0.4:
                note(rng.uniform(0.1, 1), PAYMENT_NOTE)
                events.append(('stage', 0.01, 'user', 'payment'))
            return events

        # solved
        # The customer sends the files the agent asks for
        if ask and (files.get('customer') or rng.random() < 0.5):
            reply(rng.uniform(0.1, 3), ask)
            events.append(('wait', 0.01, 'user'))
            # The customer's answer reopens the ticket
            customer(rng.uniform(1, 48), texts['customer'],
                files.get('customer', []))
            if rng.random() < 0.4:
                note(rng.uniform(0.1, 3), texts['note'])
            reply(rng.uniform(0.2, 8), texts['answer'],
                files.get('answer', []))
        else:
            if rng.random() < 0.3:
                note(rng.uniform(0.1, 2), texts['note'])
            reply(rng.uniform(0.2, 6), texts['answer'],
                files.get('answer', []))
        events.append(('solve', rng.uniform(0.01, 2), 'user'))
        draw = rng.random()
        if draw < 0.25:
            # A thank-you on a solved ticket reopens it too
            customer(rng.uniform(0.5, 24), texts['thanks'])
            reply(rng.uniform(0.1, 4),
                PERSIAN_WELCOME if persian else rng.choice(WELCOME))
            events.append(('solve', 0.01, 'user'))
        elif draw < 0.35 and not persian:
            customer(rng.uniform(12, 72), rng.choice(STILL_BROKEN))
            reply(rng.uniform(0.5, 8), STILL_BROKEN_ANSWER)
            events.append(('solve', rng.uniform(0.5, 24), 'user'))
        rating = plan['rating'] or self.draw_rating(plan)
        if rating:
            # In the portal, when the customer reads the answer
            events.append(('rate', rng.uniform(0.5, 30), None, *rating))
        return events

    def draw_rating(self, plan):
        "Return the rating (stars, comment) the customer may give"
        rng = self.rng
        team = TEAMS[plan['team']]
        if (not team['use_rating'] or team['visibility'] != 'portal'
                or rng.random() >= RATED):
            return None
        stars = rng.choices(*zip(*RATINGS))[0]
        comment = None
        if rng.random() < 0.7:
            comment = rng.choice((PERSIAN_RATING_COMMENTS if plan['persian']
                    else RATING_COMMENTS)[stars])
        return stars, comment

    def plan_dates(self, plan, day=None):
        "Date the creation and the events of the plan (created on the day)"
        rng = self.dates_rng
        low, high = AGES[plan['state']]
        if day:
            created = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(
                minutes=rng.randint(0, 7 * 60))
            # The first agent to act comes the next morning
            action, _, *rest = plan['events'][0]
            wait = self.next_morning(created) - created
            plan['events'][0] = (action, wait.total_seconds() / 3600, *rest)
        else:
            created = self.date_creation(plan, low, high)
        plan['created'] = created.replace(microsecond=0)
        available = (self.anchor - plan['created']).total_seconds() / 3600
        delays = [e[1] for e in plan['events']]
        # Squeeze the story of recent tickets into their age
        scale = min(1, 0.9 * available / sum(delays)) if delays else 1
        moment = plan['created']
        events = []
        for i, (action, hours, actor, *args) in enumerate(plan['events']):
            moment += dt.timedelta(hours=hours * scale)
            if actor and not office_hours(moment):
                # Agents work in office hours: the next morning
                later = self.next_morning(moment)
                rest = dt.timedelta(hours=sum(delays[i + 1:]) * scale)
                if later + rest < self.anchor:
                    moment = later
            events.append((action, moment, actor, *args))
        plan['events'] = events

    def date_creation(self, plan, low, high):
        "Return when the ticket is created, between low and high days ago"
        rng = self.dates_rng
        while True:
            created = self.anchor - dt.timedelta(
                days=rng.uniform(low, high))
            # Most tickets come on weekdays, in office hours; phone calls
            # and chats only then
            if not office_hours(created) and (
                    plan['channel'] in {'phone', 'livechat', 'internal'}
                    or rng.random() < 0.8):
                continue
            # Nobody takes a ticket while on leave
            if plan['user'] and self.on_leave(plan['user'], created):
                continue
            return created

    def next_morning(self, moment):
        day = moment.date()
        if moment.hour >= 8:
            day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(8)) + dt.timedelta(
            minutes=self.dates_rng.randint(0, 90))

    # Playing the story -------------------------------------------------------

    def load_tickets(self):
        plans = self.plan()
        started = time.monotonic()
        for i, plan in enumerate(plans, 1):
            self.play(plan)
            if i % 50 == 0:
                logger.info(
                    "%d tickets (%.0fs)", i, time.monotonic() - started)
        return plans

    def leader_of(self, plan):
        leaders = TEAMS[plan['team']]['leaders']
        if plan['user'] in leaders:
            return plan['user']
        return leaders[0]

    def actor(self, plan, actor):
        if actor == 'user':
            return self.users[plan['user']]
        elif actor == 'leader':
            return self.users[self.leader_of(plan)]
        return self.admin_id()

    def play(self, plan):
        from proteus import Model
        Ticket = Model.get('helpdesk.ticket')
        self.clock.set(plan['created'])
        # Agents type the tickets of phone calls and internal requests
        if plan['channel'] in {'phone', 'internal'}:
            self.act_as(self.users[plan['user'] or self.leader_of(plan)])
        else:
            self.act_as(self.admin_id())
        values = {
            'team': self.teams[plan['team']],
            'name': plan['subject'],
            'description': plan['description'],
            'party': plan['party'],
            'contact_name': plan['contact_name'],
            'contact_email': plan['contact_email'],
            'contact_phone': plan['contact_phone'],
            'channel': plan['channel'],
            'priority': plan['priority'],
            'type': self.types.get(plan['type']),
            'tags': [('add', [self.tags[t] for t in plan['tags']])],
            }
        plan['id'], = Ticket._proxy.create([values], self.context)
        self.attach(plan, plan['files'].get('description', []))
        if plan['followers']:
            # Colleagues of the customer follow the ticket too
            Channel = Model.get('ir.chat.channel')
            for email_ in plan['followers']:
                Channel._proxy.subscribe_email(
                    f"helpdesk.ticket,{plan['id']}", email_, self.context)
        ticket, = Ticket._proxy.read([plan['id']], ['user'], self.context)
        if ticket['user']:
            # The product assigned the ticket
            planned = plan['user']
            plan['user'] = self.logins[ticket['user']]
            plan['auto_assigned'] = True
            if plan['persian'] and planned and plan['user'] != planned:
                # The leader gives it to the colleague who speaks Persian
                self.act_as(self.users[self.leader_of(plan)])
                Ticket._proxy.write(
                    [plan['id']], {'user': self.users[planned]},
                    self.context)
                plan['user'] = planned
        for action, moment, actor, *args in plan['events']:
            self.clock.set(moment)
            self.act_as(self.actor(plan, actor))
            getattr(self, f'do_{action}')(Ticket, plan, *args)

    def do_assign(self, Ticket, plan):
        Ticket._proxy.assign_to_me([plan['id']], self.context)

    def do_dispatch(self, Ticket, plan):
        if not plan.get('auto_assigned'):
            Ticket._proxy.write(
                [plan['id']], {'user': self.users[plan['user']]},
                self.context)

    def do_start(self, Ticket, plan):
        ticket, = Ticket._proxy.read([plan['id']], ['state'], self.context)
        if ticket['state'] == 'new':
            Ticket._proxy.write([plan['id']], {
                    'stage': self.team_stages[plan['team']]['in_progress'],
                    }, self.context)

    def do_reply(self, Ticket, plan, body, files=()):
        "The agent replies publicly, with greeting and signature"
        name = AGENT_NAMES[plan['user']]
        if plan['persian']:
            name = PERSIAN_NAMES.get(plan['user'], name)
            content = (
                f"سلام {plan['first_name']}،\n\n{body}\n\nبا احترام،\n{name}")
        else:
            content = (
                f"Hello {plan['first_name']},\n\n{body}\n\n"
                f"Best regards,\n{name}\n{TEAMS[plan['team']]['name']}")
        message = self.post(plan, content, 'public')
        self.attach(plan, files, message)

    def do_note(self, Ticket, plan, body, draw=0):
        colleagues = [AGENT_NAMES[m] for m in TEAMS[plan['team']]['members']
            if m != plan['user']]
        colleague = colleagues[int(draw * len(colleagues))]
        self.post(plan, body.format(colleague=colleague), 'internal')

    def post(self, plan, content, audience):
        from proteus import Model
        Channel = Model.get('ir.chat.channel')
        resource = f"helpdesk.ticket,{plan['id']}"
        message = Channel._proxy.post(
            resource, content, audience, self.context)
        self.counter[f'{audience} messages'] += 1
        return message

    def attach(self, plan, names, message=None):
        "Attach the files to the ticket, shared with the customer"
        from proteus import Model
        if not names:
            return
        Attachment = Model.get('ir.attachment')
        Attachment._proxy.create([{
                    'resource': f"helpdesk.ticket,{plan['id']}",
                    'name': name,
                    'type': 'data',
                    'data': make_file(name, plan),
                    'helpdesk_shared': True,
                    'helpdesk_message': message,
                    } for name in names], self.context)
        self.counter['files'] += len(names)

    def do_customer(self, Ticket, plan, content, files=()):
        """The customer answers by e-mail, through the mail gateway, or
        in the portal with the files"""
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        if (plan['contact_email'] in self.web_users
                and plan['channel'] in {'website', 'portal'}) or files:
            self.reply_in_portal(plan, content, files)
            return
        with Transaction().start(
                self.config.database_name, 0,
                context=self.contexts[self.admin_id()]) as transaction:
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            Message = pool.get('ir.chat.message')
            ticket = pool.get('helpdesk.ticket')(plan['id'])
            previous = Message.search([
                    ('channel.resource', '=', str(ticket)),
                    ('reference', '!=', None),
                    ], order=[('id', 'DESC')], limit=1)
            message = email.message.EmailMessage()
            message['From'] = email.utils.formataddr(
                (plan['contact_name'], plan['contact_email']))
            message['To'] = EMAIL_FROM
            message['Subject'] = f'Re: [{ticket.number}] {ticket.name}'
            message['Message-ID'] = email.utils.make_msgid(
                domain=plan['contact_email'].split('@')[1])
            if previous:
                message['In-Reply-To'] = previous[0].reference
                message['References'] = previous[0].reference
            message.set_content(content)
            if message['Content-Transfer-Encoding'] in {'7bit', '8bit'}:
                posted = Channel.post_from_email(message)
            else:
                # Channel.post_from_email would keep the body encoded
                # (base64 or quoted-printable): post what it should
                posted = Message(
                    channel=Channel._get_channel(ticket),
                    email=plan['contact_email'], audience='public',
                    content=content, reference=message['Message-ID'])
                posted.save()
                Channel.dispatch_message(
                    posted, lambda u: u == plan['contact_email'])
            if not posted:
                raise RuntimeError(
                    f"The e-mail of {plan['contact_email']} did not reach "
                    f"ticket {ticket.number}")
            transaction.commit()
        self.counter['customer messages'] += 1

    def reply_in_portal(self, plan, content, files):
        "The customer answers in the portal, as its reply form does"
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        with Transaction().start(
                self.config.database_name, 0,
                context=self.contexts[self.admin_id()]) as transaction:
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            Message = pool.get('ir.chat.message')
            ticket = pool.get('helpdesk.ticket')(plan['id'])
            email_ = plan['contact_email']
            channel = Channel._get_channel(ticket)
            if not any(f.email == email_ for f in channel.followers):
                Channel.subscribe_email(ticket, email_)
            message = Message(
                channel=channel, email=email_, audience='public',
                content=content)
            message.save()
            message_id = message.id
            Channel.dispatch_message(message, lambda u: u == email_)
            transaction.commit()
        self.attach(plan, files, message_id)
        self.counter['customer messages'] += 1

    def do_rate(self, Ticket, plan, stars, comment):
        "The customer rates the solved ticket in the portal"
        Ticket._proxy.write([plan['id']], {
                'rating': stars,
                'rating_comment': comment,
                'rating_date': dt.datetime.now().replace(microsecond=0),
                }, self.context)
        self.counter['ratings'] += 1

    def do_wait(self, Ticket, plan):
        Ticket._proxy.wait([plan['id']], self.context)

    def do_solve(self, Ticket, plan):
        Ticket._proxy.solve([plan['id']], self.context)

    def do_cancel(self, Ticket, plan):
        Ticket._proxy.cancel([plan['id']], self.context)

    def do_stage(self, Ticket, plan, stage):
        Ticket._proxy.write(
            [plan['id']], {'stage': self.stages[stage]}, self.context)

    # After the story ---------------------------------------------------------

    def read_old_notifications(self):
        "Mark as read the notifications older than a day"
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        with Transaction().start(
                self.config.database_name, 0) as transaction:
            Notification = Pool().get('res.notification')
            notifications = Notification.search([
                    ('create_date', '<', self.anchor - dt.timedelta(days=1)),
                    ('unread', '=', True),
                    ])
            Notification.write(notifications, {'unread': False})
            transaction.commit()


def office_hours(moment):
    return moment.weekday() < 5 and 8 <= moment.hour < 18


# --- Files -------------------------------------------------------------------

def png(width, height, pixel):
    "Return a PNG image whose pixel(x, y) is its (red, green, blue)"
    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
            + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    rows = b''.join(
        b'\x00' + b''.join(bytes(pixel(x, y)) for x in range(width))
        for y in range(height))
    return (b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', struct.pack(
                '>IIBBBBB', width, height, 8, 2, 0, 0, 0))
        + chunk(b'IDAT', zlib.compress(rows, 9))
        + chunk(b'IEND', b''))


def pdf(title, lines):
    "Return a PDF document of one page with the title and lines of text"
    def text(value):
        value = value.replace('\\', '\\\\')
        return value.replace('(', '\\(').replace(')', '\\)')
    content = '\n'.join([
            'BT /F1 18 Tf 72 770 Td (%s) Tj ET' % text(title),
            'BT /F1 11 Tf 72 735 Td 16 TL',
            *('(%s) Tj T*' % text(line) for line in lines),
            'ET'])
    objects = [
        '<< /Type /Catalog /Pages 2 0 R >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] '
        '/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
        '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica '
        '/Encoding /WinAnsiEncoding >>',
        '<< /Length %d >>\nstream\n%s\nendstream' % (
            len(content.encode('cp1252')), content),
        ]
    document = b'%PDF-1.4\n'
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(document))
        document += f'{number} 0 obj\n{body}\nendobj\n'.encode('cp1252')
    xref = len(document)
    document += (
        f'xref\n0 {len(objects) + 1}\n0000000000 65535 f \n'
        + ''.join(f'{offset:010d} 00000 n \n' for offset in offsets)
        + f'trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n'
        f'startxref\n{xref}\n%EOF\n').encode('ascii')
    return document


def damaged_box(x, y):
    "A crushed brown box with a crack, on a grey floor"
    if not (24 <= x < 136 and 30 <= y < 104):
        return (226, 226, 222) if (x // 16 + y // 16) % 2 else (214, 214, 210)
    # The crack zigzags down the front of the box
    crack = 62 + (y - 30) * 0.45 + (abs(y % 16 - 8) - 4) * 1.5
    if abs(x - crack) < 1.8:
        return (70, 45, 22)
    if 62 <= y < 70:
        return (214, 184, 128)
    # The top left corner is crushed: darker
    if x + y < 84:
        return (140, 96, 52)
    return (181, 128, 72)


def shipping_label(x, y):
    "A white shipping label with a barcode and lines of address"
    if x < 4 or x >= 156 or y < 4 or y >= 106:
        return (20, 20, 20) if x in {3, 156} or y in {3, 106} else (
            236, 232, 220)
    if 14 <= x < 146 and 14 <= y < 56:
        bar = (0x6b5d3a9ce2d17b4d39a6e5 >> (x - 14) // 2 % 88) & 1
        return (20, 20, 20) if bar else (255, 255, 255)
    if 66 <= y < 100 and (y - 66) % 9 < 4:
        # Four lines of address
        if x >= 14 and x < 14 + [118, 84, 102, 60][(y - 66) // 9]:
            return (90, 90, 90)
    return (255, 255, 255)


def received_item(x, y):
    "A black headset on a white table"
    cx, cy = 80, 84
    distance = ((x - cx) ** 2 + (y - cy) ** 2) ** 0.5
    if y <= cy and 50 <= distance < 58:
        return (45, 45, 50)
    for ear in [30, 130]:
        if ((x - ear) ** 2 + (y - 90) ** 2) ** 0.5 < 16:
            return (25, 25, 28)
    return (250, 250, 246)


IMAGES = {
    'damaged-box.png': (160, 120, damaged_box),
    'shipping-label.png': (160, 110, shipping_label),
    'received-item.png': (160, 120, received_item),
    }


def make_file(name, plan):
    "Return the content of the file of the ticket's plan"
    if name in IMAGES:
        return png(*IMAGES[name])
    values = plan['values']
    contact = plan['contact_name']
    if name == 'quote.pdf':
        return pdf(f"Quote Q-{values['ref']}", [
                COMPANY,
                f"For: {contact}",
                "",
                f"25 x {values['product']}",
                "Volume discount: 8%",
                "Delivery included",
                "Valid for 30 days",
                ])
    elif name == 'user-manual-fr.pdf':
        return pdf(f"{values['product']} - Manuel d'utilisation", [
                "1. Mise en service",
                "2. Raccordement",
                "3. Entretien",
                "4. Garantie",
                ])
    elif name == 'purchase-invoice.pdf':
        return pdf(f"Invoice {values['invoice']}", [
                COMPANY,
                f"Customer: {contact}",
                f"Order {values['order']}",
                f"1 x {values['product']}: {values['amount']} EUR",
                ])
    raise ValueError(f"No content for the file {name}")


def set_admin_password(database_name):
    """Set the demo password of admin, which the password rules refuse"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database_name, 0):
        User = Pool().get('res.user')
        admin, = User.search([('login', '=', ADMIN_LOGIN)])
    set_password_hash(database_name, 'res.user', [admin.id], ADMIN_PASSWORD)


def set_password_hash(database_name, model, ids, password):
    """Set the password of the users of model, a demo password that the
    password rules refuse (too short)"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database_name, 0) as transaction:
        User = Pool().get(model)
        User.write(User.browse(ids), {
                'password_hash': User.hash_password(password),
                })
        transaction.commit()


def load(database_name, tickets):
    from proteus import config as pconfig
    config = pconfig.set_trytond(database_name)
    with SimulatedClock() as clock, SMTPSink() as sink:
        loader = Loader(config, clock, tickets)
        # The static data exists since before the story
        clock.set(loader.anchor - dt.timedelta(days=HISTORY_DAYS + 7))
        loader.users[ADMIN_LOGIN] = config.user
        loader.load_company()
        loader.load_agents()
        loader.load_calendar()
        loader.load_teams()
        loader.load_types_and_tags()
        loader.load_customers()
        loader.load_portal_users()
        logger.info(
            "company, %d agents, %d teams, %d customers, %d portal accounts",
            len(AGENTS), len(TEAMS), len(CUSTOMERS), len(PORTAL_USERS))
        plans = loader.load_tickets()
        loader.load_announcements()
        loader.load_inbox()
    loader.read_old_notifications()
    set_admin_password(database_name)
    counts = Counter(p['state'] for p in plans)
    logger.info(
        "%d tickets (%s), %d public replies, %d internal notes, "
        "%d customer messages, %d ratings, %d shared files, "
        "%d announcements; %d e-mails sent to the local sink",
        len(plans),
        ', '.join(f'{counts[s]} {s}' for s, _ in STATES),
        loader.counter['public messages'],
        loader.counter['internal messages'],
        loader.counter['customer messages'], loader.counter['ratings'],
        loader.counter['files'], len(ANNOUNCEMENTS), sink.count)


# --- Logins ------------------------------------------------------------------

def logins():
    "Return the text that lists the demo logins"
    teams = defaultdict(list)
    for team in TEAMS.values():
        for login in team['members']:
            role = " (leader)" if login in team['leaders'] else ""
            teams[login].append(team['name'] + role)
    rows = [(ADMIN_LOGIN, ADMIN_PASSWORD,
            "administrator, helpdesk manager", "")]
    for login, name, manager, language in AGENTS:
        role = "helpdesk manager" if manager else "helpdesk agent"
        if language != 'en':
            role += f", language {language}"
        rows.append((login, AGENT_PASSWORD, f"{name}: {role}",
                ", ".join(teams[login])))
    lines = ["Demo logins (web client, database \"{database}\"):", ""]
    width = max(len(r[0]) for r in rows)
    pwidth = max(len(r[1]) for r in rows)
    lines.append(f"  {'Login':<{width}}  {'Password':<{pwidth}}  Who")
    for login, password, who, teams_ in rows:
        lines.append(f"  {login:<{width}}  {password:<{pwidth}}  {who}")
        if teams_:
            lines.append(f"  {'':<{width}}  {'':<{pwidth}}    {teams_}")

    portal_teams = ", ".join(
        t['name'] for t in TEAMS.values()
        if t['visibility'] == 'portal' and t['website_published'])
    lines += ["", "Portal logins (website /{database}/helpdesk/signin, "
        f"team {portal_teams}):", ""]
    width = max(len(u[0]) for u in PORTAL_USERS)
    pwidth = max(len(PORTAL_PASSWORD), len("Password"))
    lines.append(f"  {'E-mail':<{width}}  {'Password':<{pwidth}}  Who")
    mobiles = []
    for email_, _, _, mobile, who, sees in PORTAL_USERS:
        lines.append(
            f"  {email_:<{width}}  {PORTAL_PASSWORD:<{pwidth}}  {who}")
        lines.append(f"  {'':<{width}}  {'':<{pwidth}}    {sees}")
        if mobile:
            mobiles.append(mobile)
    for mobile in mobiles:
        lines += ["", f"  Mobile sign-in: enter {mobile} under "
            "\"Mobile number\" on the sign-in page;",
            "  the code of the SMS is written to the server's output "
            "(trytond's log)."]
    return '\n'.join(lines) + '\n'


def print_logins(directory, name):
    text = logins().format(database=name)
    with open(os.path.join(directory, 'demo-logins.txt'), 'w',
            encoding='utf-8') as file:
        file.write(text)
    print()
    print(text)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format='%(levelname)s %(name)s: %(message)s',
        stream=sys.stdout)
    logger.setLevel(logging.INFO)
    path = os.path.abspath(args.database)
    directory, filename = os.path.split(path)
    if not filename.endswith('.sqlite') or filename == '.sqlite':
        sys.exit(f"{args.database}: the database must be a .sqlite file")
    name = filename[:-len('.sqlite')]
    os.makedirs(directory, exist_ok=True)

    if os.path.exists(path) and not args.force:
        if not is_demo_database(path):
            sys.exit(
                f"{args.database} exists but holds no demo data: "
                "use --force to rebuild it")
        logger.info("%s exists: nothing to do (--force rebuilds it)",
            args.database)
        print_logins(directory, name)
        return

    started = time.monotonic()
    build = f'{name}_build'
    configure(directory)
    remove_database(directory, build)
    try:
        # trytond opens SQLite databases that exist: an empty file is one
        open(os.path.join(directory, build + '.sqlite'), 'x').close()
        logger.info("creating the database with %s", ', '.join(MODULES))
        create_database(build)
        logger.info("database created (%.0fs), loading the demo data",
            time.monotonic() - started)
        load(build, args.tickets)
    except BaseException:
        remove_database(directory, build)
        raise
    finish_database(directory, build, path)
    logger.info("%s built in %.0fs", args.database, time.monotonic() - started)
    print_logins(directory, name)


if __name__ == '__main__':
    main()
