"""The SMS providers, chosen by SMS_GATEWAY: "logging" (the default: a line in the log), "aliyun"
(Alibaba Cloud SMS, its SDK), "tencent" (Tencent Cloud SMS, its SDK) and "http" (a bank's own SMS
platform: a JSON POST signed with HMAC-SHA256). Each sends one message and says how it went in one
way: it returns the provider's message id, or raises SmsError with the provider's code and whether
the provider throttled us, refused the message, or could not be reached."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request

from flask import current_app

log = logging.getLogger(__name__)

# The providers' codes for "too many, later" (per number or per account), not a fault of the message.
THROTTLE_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling.User", "Throttling.Api", "Throttling",
    "LimitExceeded.PhoneNumberThirtySecondLimit", "LimitExceeded.PhoneNumberOneHourLimit",
    "LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.PhoneNumberSameContentDailyLimit",
    "LimitExceeded.DeliveryFrequencyLimit", "RequestLimitExceeded", "throttled",
}


class SmsError(Exception):
    """One message was not sent. `code` is the provider's (shown to the administrator)."""

    def __init__(self, code: str, detail: str = "", throttled: bool = False, unreachable: bool = False):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code[:100], detail
        self.throttled = throttled or code in THROTTLE_CODES
        self.unreachable = unreachable


class SmsGateway:
    def send(self, phone: str, text: str, template_code: str | None, params: dict) -> str:
        raise NotImplementedError


class LoggingSmsGateway(SmsGateway):
    """Writes each text to the log (and keeps it, for tests) instead of sending it."""

    def __init__(self, config=None):
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str, template_code: str | None = None, params: dict | None = None) -> str:
        self.sent.append((phone, text))
        log.info("SMS to %s: %s", phone, text)
        return f"log-{len(self.sent)}"


def _needs_template(template_code: str | None) -> str:
    if not template_code:
        # Mainland providers send only registered templates: the administrator sets the code on the notices page.
        raise SmsError("no_template", "no provider template code for this notice")
    return template_code


class AliyunSmsGateway(SmsGateway):
    """Alibaba Cloud SMS (dysmsapi 2017-05-25, SendSms) through alibabacloud-dysmsapi20170525."""

    def __init__(self, config):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config
        timeout_ms = int(config["SMS_TIMEOUT"] * 1000)
        self.client = Client(Config(
            access_key_id=config["SMS_ACCESS_KEY_ID"], access_key_secret=config["SMS_ACCESS_KEY_SECRET"],
            endpoint=config["SMS_ENDPOINT"] or "dysmsapi.aliyuncs.com", protocol=config["SMS_PROTOCOL"],
            read_timeout=timeout_ms, connect_timeout=timeout_ms))
        self.sign_name = config["SMS_SIGN_NAME"]

    def send(self, phone, text, template_code, params):
        from alibabacloud_dysmsapi20170525 import models
        from darabonba.exceptions import UnretryableException
        from Tea.exceptions import TeaException
        from darabonba.runtime import RuntimeOptions
        request = models.SendSmsRequest(phone_numbers=phone, sign_name=self.sign_name,
                                        template_code=_needs_template(template_code),
                                        template_param=json.dumps(params, ensure_ascii=False))
        try:
            # The outbox retries with its own back-off; the SDK's own retries would only hold the worker.
            response = self.client.send_sms_with_options(request, RuntimeOptions(autoretry=False))
        except UnretryableException as exc:   # connection refused, timed out
            raise SmsError("unreachable", str(exc)[:300], unreachable=True) from exc
        except TeaException as exc:           # an HTTP error answer, with the provider's code
            raise SmsError(str(exc.code or "error"), str(exc.message or "")[:300]) from exc
        body = response.body
        if body.code != "OK":
            raise SmsError(body.code or "error", body.message or "")
        return body.biz_id or ""


class TencentSmsGateway(SmsGateway):
    """Tencent Cloud SMS (API 2021-01-11, SendSms) through tencentcloud-sdk-python-sms."""

    def __init__(self, config):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client
        http = HttpProfile(endpoint=config["SMS_ENDPOINT"] or "sms.tencentcloudapi.com",
                           reqTimeout=max(1, int(config["SMS_TIMEOUT"])))
        http.scheme = config["SMS_PROTOCOL"]
        self.client = sms_client.SmsClient(
            credential.Credential(config["SMS_ACCESS_KEY_ID"], config["SMS_ACCESS_KEY_SECRET"]),
            config["SMS_REGION"] or "ap-guangzhou", ClientProfile(httpProfile=http))
        self.app_id, self.sign_name = config["SMS_SDK_APP_ID"], config["SMS_SIGN_NAME"]

    def send(self, phone, text, template_code, params):
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models
        request = models.SendSmsRequest()
        request.SmsSdkAppId, request.SignName = self.app_id, self.sign_name
        request.TemplateId = _needs_template(template_code)
        request.TemplateParamSet = [str(value) for value in params.values()]
        request.PhoneNumberSet = [f"+86{phone}"]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or "error"
            if code == "ClientNetworkError":   # refused, timed out: the same code as the other providers'
                raise SmsError("unreachable", str(exc.get_message() or "")[:300], unreachable=True) from exc
            raise SmsError(code, str(exc.get_message() or "")[:300]) from exc
        status = response.SendStatusSet[0] if response.SendStatusSet else None
        if status is None or status.Code != "Ok":
            raise SmsError(status.Code if status else "error", status.Message if status else "no status")
        return status.SerialNo or ""


class HttpSmsGateway(SmsGateway):
    """A bank's own SMS platform: POST {phone, text, template, params, timestamp} as JSON to SMS_HTTP_URL,
    signed in the header X-Signature: hex HMAC-SHA256 of the body with SMS_HTTP_SECRET. 2xx with
    {"code": "ok", "id": ...} is sent; 429 or code "throttled" is throttled; other answers fail with their code."""

    def __init__(self, config):
        self.url, self.secret = config["SMS_HTTP_URL"], (config["SMS_HTTP_SECRET"] or "").encode()
        self.timeout = config["SMS_TIMEOUT"]

    def send(self, phone, text, template_code, params):
        body = json.dumps({"phone": phone, "text": text, "template": template_code, "params": params,
                           "timestamp": int(time.time())}, ensure_ascii=False).encode()
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "X-Signature": signature})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = _json(response.read())
        except urllib.error.HTTPError as exc:
            answer = _json(exc.read())
            code = str(answer.get("code") or f"http_{exc.code}")
            raise SmsError(code, str(answer.get("message") or "")[:300], throttled=exc.code == 429) from exc
        except (OSError, ValueError) as exc:   # refused, timed out, reset
            raise SmsError("unreachable", str(exc)[:300], unreachable=True) from exc
        if str(answer.get("code", "")).lower() != "ok":
            raise SmsError(str(answer.get("code") or "error"), str(answer.get("message") or ""))
        return str(answer.get("id") or "")


def _json(data: bytes) -> dict:
    try:
        answer = json.loads(data or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


GATEWAYS = {"logging": LoggingSmsGateway, "aliyun": AliyunSmsGateway, "tencent": TencentSmsGateway,
            "http": HttpSmsGateway}


def gateway() -> SmsGateway:
    """The app's gateway, made once per app from SMS_GATEWAY."""
    extensions = current_app.extensions
    if "sms_gateway" not in extensions:
        name = current_app.config["SMS_GATEWAY"]
        if name not in GATEWAYS:
            # A typo in the setting: the texts wait (as for a provider that is down) instead of being given up.
            log.error("SMS_GATEWAY=%r is none of %s; texts wait until it is set right", name, ", ".join(GATEWAYS))
            raise SmsError("unknown_gateway", f"SMS_GATEWAY={name!r}", unreachable=True)
        extensions["sms_gateway"] = GATEWAYS[name](current_app.config)
    return extensions["sms_gateway"]
