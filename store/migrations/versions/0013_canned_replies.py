"""canned replies (상용구), with the centre's everyday ones in the six languages

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# code, title, texts: what every agent of the centre may insert from the start.
SEEDS: list[tuple[str, str, dict[str, str]]] = [
    (
        "인사",
        "첫인사",
        {
            "ko": "안녕하세요, {citizen_name}. 120다산콜재단 상담사 {agent_name}입니다. 무엇을 도와드릴까요?",
            "en": "Hello, {citizen_name}. This is {agent_name} from the Seoul 120 Dasan Call Center. "
            "How may I help you?",
            "zh": "{citizen_name}，您好！我是首尔120茶山呼叫中心的咨询员{agent_name}。请问有什么可以帮您？",
            "ja": "{citizen_name}、こんにちは。ソウル120茶山コールセンターの相談員、{agent_name}です。"
            "どのようなご用件でしょうか。",
            "vi": "Xin chào {citizen_name}. Tôi là {agent_name}, tư vấn viên của Trung tâm cuộc gọi 120 Dasan Seoul. "
            "Tôi có thể giúp gì cho Quý khách?",
            "mn": "Сайн байна уу, {citizen_name}. Би Сөүлийн 120 Дасан дуудлагын төвийн зөвлөх {agent_name} байна. "
            "Танд юугаар туслах вэ?",
        },
    ),
    (
        "대기",
        "잠시 기다려 주세요",
        {
            "ko": "확인해 드리겠습니다. 잠시만 기다려 주세요.",
            "en": "Let me check that for you. Please wait a moment.",
            "zh": "我来为您确认一下，请稍等片刻。",
            "ja": "確認いたしますので、少々お待ちください。",
            "vi": "Tôi sẽ kiểm tra giúp Quý khách. Xin vui lòng chờ trong giây lát.",
            "mn": "Би шалгаад хэлье. Түр хүлээнэ үү.",
        },
    ),
    (
        "확인",
        "자세한 내용 여쭙기",
        {
            "ko": "정확히 안내해 드리기 위해 거주하시는 자치구와 문의하실 내용을 조금 더 자세히 말씀해 주시겠어요?",
            "en": "So that I can give you the right information, could you tell me which district you live in "
            "and a little more about your question?",
            "zh": "为了给您准确的答复，能否告诉我您居住的区以及您想咨询的具体内容？",
            "ja": "正確にご案内するため、お住まいの区とお問い合わせの内容をもう少し詳しくお聞かせいただけますか。",
            "vi": "Để hướng dẫn chính xác, Quý khách vui lòng cho biết quận nơi mình sinh sống "
            "và nói rõ hơn về nội dung cần hỏi được không?",
            "mn": "Танд зөв мэдээлэл өгөхийн тулд та аль дүүрэгт амьдардаг болон асуух зүйлээ "
            "арай дэлгэрэнгүй хэлж өгнө үү?",
        },
    ),
    (
        "hours",
        "상담 시간 안내",
        {
            "ko": "{queue} 상담 시간은 {opening_hours}입니다.",
            "en": "Our counsellors for {queue} are available {opening_hours}.",
            "zh": "{queue}咨询服务时间为{opening_hours}。",
            "ja": "{queue}のご相談は{opening_hours}受け付けております。",
            "vi": "Thời gian tư vấn ({queue}): {opening_hours}.",
            "mn": "Зөвлөгөө өгөх цаг ({queue}): {opening_hours}.",
        },
    ),
    (
        "종료",
        "마무리 인사",
        {
            "ko": "{citizen_name}, 더 궁금하신 점은 없으신가요? 120다산콜재단을 이용해 주셔서 감사합니다. "
            "좋은 하루 보내세요.",
            "en": "Is there anything else I can help you with, {citizen_name}? Thank you for contacting "
            "the Seoul 120 Dasan Call Center. Have a nice day.",
            "zh": "{citizen_name}，请问还有其他需要帮助的吗？感谢您联系首尔120茶山呼叫中心，祝您生活愉快。",
            "ja": "{citizen_name}、ほかにご不明な点はございませんか。ソウル120茶山コールセンターをご利用いただき、"
            "ありがとうございました。良い一日をお過ごしください。",
            "vi": "{citizen_name} còn cần hỏi thêm điều gì không ạ? Cảm ơn Quý khách đã liên hệ "
            "Trung tâm cuộc gọi 120 Dasan Seoul. Chúc Quý khách một ngày tốt lành.",
            "mn": "{citizen_name}, өөр асуух зүйл байна уу? Сөүлийн 120 Дасан дуудлагын төвд хандсанд баярлалаа. "
            "Өдрийг сайхан өнгөрүүлээрэй.",
        },
    ),
]


def upgrade() -> None:
    table = op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("scope_key", sa.String(length=64), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope_key", "code", name="uq_canned_reply_scope_code"),
    )
    op.create_index("ix_canned_replies_team_id", "canned_replies", ["team_id"])
    op.create_index("ix_canned_replies_owner_id", "canned_replies", ["owner_id"])
    seeded_at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    op.bulk_insert(
        table,
        [
            {
                "code": code,
                "title": title,
                "scope": "centre",
                "scope_key": "centre",
                "texts": texts,
                "updated_by": "system",
                "updated_at": seeded_at,
            }  # fmt: skip
            for code, title, texts in SEEDS
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_canned_replies_owner_id", table_name="canned_replies")
    op.drop_index("ix_canned_replies_team_id", table_name="canned_replies")
    op.drop_table("canned_replies")
