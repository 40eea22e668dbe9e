"""Training labs: instructors, classes and seats.

An **instructor** is an installation-level identity (not an IAM user, not in any
account): email, Argon2 password and a mandatory TOTP device, the same rules as
root. A **class** is one run of a lab; its lab is stored as the validated,
self-contained document (``labs.format.Lab.to_dict``), so grading and reset never
read the file again. Each **seat** is one trainee's own account.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.utils import timezone

from accounts.models import Account
from iamconsole.crypto import seal, unseal


class Instructor(models.Model):
    email = models.EmailField(max_length=254, unique=True)  # stored lower-case
    password = models.CharField(max_length=128)  # a hash (Argon2)
    created = models.DateTimeField(auto_now_add=True)
    # The virtual MFA device, enrolled at the first sign-in (two consecutive codes).
    # The fields mirror accounts.models.MfaDevice's so accounts.totp.check_code can
    # consume each code once (conditional UPDATE on last_t) and count failures.
    seed_sealed = models.BinaryField(null=True, blank=True)
    mfa_enabled = models.DateTimeField(null=True, blank=True)
    last_t = models.BigIntegerField(default=-1)
    throttling_failure_count = models.PositiveIntegerField(default=0)
    throttling_failure_timestamp = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.email

    def seal_context(self) -> str:
        return f"instructor-mfa-seed:{self.pk}"

    def set_seed(self, seed: bytes) -> None:
        self.seed_sealed = seal(seed.hex(), context=self.seal_context())

    def seed(self) -> bytes:
        return bytes.fromhex(unseal(bytes(self.seed_sealed or b""), context=self.seal_context()))

    def throttle_increment(self, commit: bool = True) -> None:
        now = timezone.now()
        Instructor.objects.filter(pk=self.pk).update(
            throttling_failure_count=F("throttling_failure_count") + 1,
            throttling_failure_timestamp=now,
        )
        self.throttling_failure_count += 1
        self.throttling_failure_timestamp = now


class LabClass(models.Model):
    # [a-z0-9-]: the seats' aliases are "<name>-<n>" (an alias is at most 63 characters).
    name = models.CharField(max_length=56, unique=True)
    lab_id = models.CharField(max_length=64)
    lab = models.JSONField()  # labs.format.Lab.to_dict(): self-contained
    instructor = models.ForeignKey(
        Instructor, null=True, blank=True, on_delete=models.PROTECT, related_name="classes"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.name


class Seat(models.Model):
    lab_class = models.ForeignKey(LabClass, on_delete=models.CASCADE, related_name="seats")
    number = models.PositiveIntegerField()
    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="seat")
    user_name = models.CharField(max_length=64)
    # The initial console password, for the handout: sealed, and shown only to the
    # class's instructor until the trainee replaces it at the first sign-in.
    password_sealed = models.BinaryField()
    access_key_id = models.CharField(max_length=32, blank=True)
    # Start (or last reset) of the seat: events before it do not count for grading.
    started = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["lab_class", "number"], name="seat_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.lab_class.name} seat {self.number}"

    def seal_context(self) -> str:
        return f"seat-password:{self.account_id}"

    def set_password(self, password: str) -> None:
        self.password_sealed = seal(password, context=self.seal_context())

    def initial_password(self) -> str:
        return unseal(bytes(self.password_sealed), context=self.seal_context())
