"""The SMS channel, through Twilio."""

from channels.sms.adapter import SmsChannel
from channels.sms.segments import MAX_CHARS, SegmentCount, segments
from channels.sms.settings import TwilioSettings

__all__ = ["MAX_CHARS", "SegmentCount", "SmsChannel", "TwilioSettings", "segments"]
