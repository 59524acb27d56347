"""`manage.py seed_demo [--cases N] [--password PW]`: demo people, a creditor with a mandate, N cases.

Everything goes through the services a real placement uses, so demo cases carry history and audit
events like any other: users and the team through accounts.services, the cases as PlacementRows through
`placement_import` (the same bulk service as a file import), agents round-robin through
`case_assign_agents` (or, above 2000 cases, its bulk twin `placement_assign_round_robin`), and about 30%
of the cases (at most 300) verified by their agent through the stage-1 services. Then the demo steps the
later stages registered in common/demo.py (e.g. visits/demo.py) run.

Idempotent: when the DEMO creditor exists, it prints the logins and stops. Reproducible: Faker and the
random choices use a fixed seed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role, Team, User
from cases import services
from cases.importing import PlacementRow
from cases.models import Case, Creditor, DebtorAddress, FactSource, IdType, Level
from cases.services import reference
from common import demo, pdf
from common.pdf import FontMissing, font_missing_error
from compliance.rules import resident_id_check_char

DEMO_CREDITOR = "DEMO"
DEMO_TEAM = "demo"
DEFAULT_PASSWORD = "fieldledger-demo"  # noqa: S105 - the documented demo password, printed with the logins
SEED = 20261123
ASSIGN_ONE_BY_ONE_MAX = 2000
VERIFY_SHARE = 0.3
VERIFY_MAX = 300
PRODUCTS = ("consumer_loan", "credit_card", "car_loan", "cash_loan")
PRODUCT_WEIGHTS = (45, 35, 10, 10)
CURRENCIES = ("CNY", "USD", "GBP")
CURRENCY_WEIGHTS = (90, 6, 4)
# Real county-level division codes (GB/T 2260): Beijing Chaoyang, Shanghai Xuhui, Guangzhou Tianhe,
# Shenzhen Nanshan, Hangzhou Xihu, Chengdu Wuhou, Wuhan Jianghan, Nanjing Gulou, Xi'an Yanta, Tianjin Heping.
REGIONS = ("110105", "310104", "440106", "440305", "330106", "510107", "420103", "320106", "610113", "120101")
CITIES = (
    ("北京市", "朝阳区"),
    ("上海市", "徐汇区"),
    ("广州市", "天河区"),
    ("深圳市", "南山区"),
    ("杭州市", "西湖区"),
    ("成都市", "武侯区"),
    ("武汉市", "江汉区"),
    ("南京市", "鼓楼区"),
    ("西安市", "雁塔区"),
    ("天津市", "和平区"),
)
ASSESSMENT_NOTES = (
    "Salary confirmed with the employer; says cash is short until the year-end bonus.",
    "Runs a small shop; income irregular, willing to discuss instalments.",
    "债务人有稳定工作，表示愿意分期还款。",
    "收入下降，需核实资产情况；态度配合。",
)


def tiny_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF with a few lines of ASCII text (no library, no fonts to install)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = "BT /F1 11 Tf 56 780 Td 16 TL " + " ".join(f"({escape(line)}) '" for line in lines) + " ET"
    stream = body.encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


class RowFactory:
    """Realistic placement rows: Chinese and English names, valid resident IDs, some passports."""

    def __init__(self, *, seed: int, today: dt.date) -> None:
        from faker import Faker

        self.rng = random.Random(seed)
        self.zh = Faker("zh_CN")
        self.en = Faker("en_US")
        self.zh.seed_instance(seed)
        self.en.seed_instance(seed + 1)
        self.today = today
        self.documents: set[tuple[str, str]] = set()
        self.debtors: list[tuple[str, str, str, tuple[str, ...], str]] = []

    def resident_id(self) -> str:
        while True:
            birth = dt.date(1960, 1, 1) + dt.timedelta(days=self.rng.randrange(16000))
            first17 = f"{self.rng.choice(REGIONS)}{birth:%Y%m%d}{self.rng.randrange(1000):03d}"
            number = first17 + resident_id_check_char(first17)
            if (IdType.RESIDENT_ID, number) not in self.documents:
                return number

    def passport(self, *, chinese: bool) -> str:
        while True:
            number = ("E" if chinese else self.rng.choice("CGKMN")) + f"{self.rng.randrange(10**8):08d}"
            if (IdType.PASSPORT, number) not in self.documents:
                return number

    def phone(self) -> str:
        return f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"

    def address(self) -> str:
        city, district = self.rng.choice(CITIES)
        street = self.zh.street_name()
        return (
            f"{city}{district}{street}{self.rng.randint(1, 999)}号"
            f"{self.rng.randint(1, 30)}栋{self.rng.randint(1, 28)}{self.rng.randint(1, 6):02d}室"
        )

    def debtor(self) -> tuple[str, str, str, tuple[str, ...], str]:
        # About 5% of the cases belong to a debtor who already has one (a card and a loan).
        if self.debtors and self.rng.random() < 0.05:
            return self.rng.choice(self.debtors)
        english = self.rng.random() < 0.2
        if english:
            name, id_type, number = self.en.name(), IdType.PASSPORT, self.passport(chinese=False)
        elif self.rng.random() < 0.04:
            name, id_type, number = self.zh.name(), IdType.PASSPORT, self.passport(chinese=True)
        else:
            name, id_type, number = self.zh.name(), IdType.RESIDENT_ID, self.resident_id()
        self.documents.add((id_type, number))
        roll = self.rng.random()
        phones = () if roll < 0.08 else (self.phone(), self.phone()) if roll > 0.9 else (self.phone(),)
        debtor = (name, str(id_type), number, phones, self.address())
        self.debtors.append(debtor)
        return debtor

    def row(self, index: int) -> PlacementRow:
        rng = self.rng
        name, id_type, number, phones, home = self.debtor()
        currency = rng.choices(CURRENCIES, CURRENCY_WEIGHTS)[0]
        high = 300_000 if currency == "CNY" else 50_000
        principal = Decimal(rng.randrange(30, high // 100) * 100)
        outstanding = (principal * Decimal(rng.uniform(0.15, 1.25))).quantize(Decimal("0.01"))
        return PlacementRow(
            line=index + 2,
            external_ref=f"DEMO-{index + 1:06d}",
            debtor_name=name,
            id_type=id_type,
            id_number=number,
            contract_no=f"HT{self.today.year - rng.randint(1, 4)}{index + 1:07d}",
            principal=principal.quantize(Decimal("0.01")),
            outstanding=outstanding,
            currency=currency,
            overdue_since=self.today - dt.timedelta(days=rng.randint(30, 730)),
            product=rng.choices(PRODUCTS, PRODUCT_WEIGHTS)[0],
            phones=phones,
            home_address=home,
            work_address=self.address() if rng.random() < 0.4 else "",
        )


class Command(BaseCommand):
    help = "Create demo users, a creditor with a mandate, and N realistic cases (some verified)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=50, help="Number of cases (default 50; 0 allowed)")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password of every demo login")

    def handle(self, *args: Any, **options: Any) -> None:
        count, password = options["cases"], options["password"]
        if count < 0:
            raise CommandError("--cases must be 0 or more")
        # Asked through the module at run time (a font installed or removed since start is seen).
        if pdf.font_installed("zh") is False:  # no demo document is ever stored with empty boxes
            raise CommandError(font_missing_error().failures[0].message)
        if Creditor.objects.filter(code=DEMO_CREDITOR).exists():
            self.stdout.write(
                f"Demo data is already seeded (creditor {DEMO_CREDITOR} exists); nothing was added."
            )
            self._logins(password, note=" (as set when first seeded)")
            return
        started = time.monotonic()
        try:
            with transaction.atomic():
                people = self._people(password)
                self._logins(password)
                creditor = self._creditor(people["supervisor"])
                self._cases(count=count, creditor=creditor, people=people)
                # Later stages (visits, ...) add their demo records through their own services.
                if count:
                    demo.run_all(people=people, creditor=creditor, write=self.stdout.write)
        except FontMissing as error:  # a glyph no font draws: the whole seed is rolled back
            raise CommandError(f"{error.failures[0].message} Nothing was seeded.") from error
        self.stdout.write(f"Seeded in {time.monotonic() - started:.1f} s.")
        self._logins(password)

    # --- people -------------------------------------------------------------------------------

    def _people(self, password: str) -> dict[str, User]:
        actor = account_services.system_user()
        today = timezone.localdate()
        team = Team.objects.filter(code=DEMO_TEAM).first() or account_services.team_create(
            code=DEMO_TEAM, name="Demo team", actor=actor
        )
        field_agent = {
            "team": team,
            "work_id_expires_on": today + dt.timedelta(days=365),
            "training_completed_on": today - dt.timedelta(days=14),
            "training_valid_until": today - dt.timedelta(days=14) + dt.timedelta(days=365),
        }
        specs: list[tuple[str, str, str, dict[str, Any]]] = [
            ("supervisor", Role.SUPERVISOR, "Wang Fang 王芳", {"team": team}),
            ("agent1", Role.FIELD_AGENT, "Li Wei 李伟", {**field_agent, "work_id_number": "FL-WID-0001"}),
            ("agent2", Role.FIELD_AGENT, "Zhao Min 赵敏", {**field_agent, "work_id_number": "FL-WID-0002"}),
            ("compliance", Role.COMPLIANCE_OFFICER, "Liu Yang 刘洋", {}),
            ("admin", Role.ADMINISTRATOR, "Zhou Jie 周杰", {}),
        ]
        people: dict[str, User] = {}
        for number, (username, role, full_name, extra) in enumerate(specs, start=1):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = account_services.user_create(
                    username=username,
                    password=password,
                    roles=[role],
                    actor=actor,
                    full_name=full_name,
                    employee_no=f"DEMO-{number:03d}",
                    email=f"{username}@fieldledger.invalid",
                    **extra,
                )
            people[username] = user
        return people

    def _logins(self, password: str, note: str = "") -> None:
        self.stdout.write("Demo logins (role, username, password):")
        for role, username in (
            ("supervisor", "supervisor"),
            ("field agent", "agent1"),
            ("field agent", "agent2"),
            ("compliance officer", "compliance"),
            ("administrator", "admin"),
        ):
            self.stdout.write(f"  {role:<19} {username:<11} {password}{note}")

    # --- creditor and mandate -------------------------------------------------------------------

    def _creditor(self, supervisor: User) -> Creditor:
        """The demo creditor and its signed mandate, through the reference-data services."""
        actor = account_services.system_user()
        today = timezone.localdate()
        creditor = reference.creditor_create(
            code=DEMO_CREDITOR,
            name="Demo Consumer Finance Co. 示范消费金融",
            default_supervisor=supervisor,
            actor=actor,
        )
        number = f"DEMO-M-{today.year}-001"
        pdf = tiny_pdf(
            [
                "Collection mandate (entrustment contract) " + number,
                "Creditor: Demo Consumer Finance Co.",
                "The agency is authorized to visit, verify and negotiate repayment of overdue",
                "consumer loans, credit cards, car loans and cash loans placed with it.",
                f"Valid from {today - dt.timedelta(days=365)} until {today + dt.timedelta(days=365)}.",
                "Signed and sealed by both parties. (Demo document.)",
            ]
        )
        reference.mandate_create(
            creditor=creditor,
            number=number,
            products=list(PRODUCTS),
            scope="Visit, verify and negotiate repayment of overdue consumer loans, credit cards, car loans "
            "and cash loans (PRC Civil Code art. 165, 919).",
            valid_from=today - dt.timedelta(days=365),
            valid_until=today + dt.timedelta(days=365),
            document=pdf,
            actor=actor,
        )
        return creditor

    # --- cases ----------------------------------------------------------------------------------

    def _cases(self, *, count: int, creditor: Creditor, people: dict[str, User]) -> None:
        if count == 0:
            self.stdout.write("No cases requested.")
            return
        today = timezone.localdate()
        tick = time.monotonic()
        factory = RowFactory(seed=SEED, today=today)
        rows = [factory.row(i) for i in range(count)]
        tick = self._timed(f"Generated {count} rows", tick)

        report = services.placement_import(
            creditor=creditor,
            rows=rows,
            actor=account_services.system_user(),
            supervisor=people["supervisor"],
            source_name="seed_demo",
            sha256=hashlib.sha256(f"seed_demo:{SEED}:{count}".encode()).hexdigest(),
        )
        if report.errors:
            raise CommandError("\n".join(str(e) for e in report.errors[:20]))
        tick = self._timed(f"Imported: {report.summary()}", tick)

        supervisor, agents = people["supervisor"], [people["agent1"], people["agent2"]]
        cases = list(Case.objects.filter(creditor=creditor).order_by("pk"))
        if len(cases) <= ASSIGN_ONE_BY_ONE_MAX:
            for index, case in enumerate(cases):
                services.case_assign_agents(case=case, agents=[agents[index % 2]], actor=supervisor)
        else:
            services.placement_assign_round_robin(cases=cases, agents=agents, actor=supervisor)
        tick = self._timed(f"Assigned {len(cases)} cases to agent1/agent2 in turn", tick)

        verified = self._verify(cases=cases, agents=agents)
        self._timed(f"Verified {verified} cases through the stage-1 services", tick)

    def _verify(self, *, cases: list[Case], agents: list[User]) -> int:
        """About 30% of the cases (at most 300), spread over the list, verified by their agent."""
        wanted = min(VERIFY_MAX, round(len(cases) * VERIFY_SHARE))
        if wanted == 0:
            return 0
        step = len(cases) / wanted
        chosen = [(int(i * step), cases[int(i * step)]) for i in range(wanted)]
        homes = dict(
            DebtorAddress.objects.filter(debtor_id__in={c.debtor_id for _i, c in chosen}, kind="home")
            .order_by("debtor_id", "pk")
            .values_list("debtor_id", "pk")
        )
        rng = random.Random(SEED)
        levels = [Level.HIGH, Level.MEDIUM, Level.LOW]
        for index, case in chosen:
            agent = agents[index % 2]
            services.identity_check_record(
                case=case, actor=agent, method="ID card copy compared with the creditor's KYC"
            )
            services.address_verify(
                case=case, address_id=homes[case.debtor_id], actor=agent, source=FactSource.DATABASE
            )
            pdf = tiny_pdf(
                [
                    f"Loan contract {case.contract_no}",
                    f"Reference {case.external_ref}",
                    "Signed by the borrower. (Demo document.)",
                ]
            )
            services.document_add(
                case=case,
                actor=agent,
                kind="contract",
                upload=SimpleUploadedFile(
                    f"contract-{case.external_ref}.pdf", pdf, content_type="application/pdf"
                ),
            )
            services.assessment_record(
                case=case,
                actor=agent,
                capacity=rng.choice(levels),
                willingness=rng.choice(levels),
                note=rng.choice(ASSESSMENT_NOTES),
            )
            services.case_verify(case=case, actor=agent)
        return wanted

    def _timed(self, message: str, since: float) -> float:
        now = time.monotonic()
        self.stdout.write(f"{message} ({now - since:.1f} s)")
        return now
