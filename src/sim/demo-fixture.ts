import { seededOpenid } from './ids.js';
import type { SimFixture, SimUserInput, SubscribeScene } from './types.js';

/**
 * The demo world `wxhub sim` and `wxhub demo` start with: two Official Accounts bound to the same
 * Open Platform account (so a person who uses both has one unionid and two openids), a few
 * dozen users with Chinese and English nicknames, followers and non-followers, every subscribe
 * scene. Openids and unionids are derived from fixed seeds, so they are the same on every run.
 * The secrets are public, for the demo only.
 */
export const DEMO_ACCOUNTS = Object.freeze([
  Object.freeze({
    appid: 'wx1234567890abcdef',
    secret: 'demoshopsecret000000000000000001',
    name: '演示商城 Demo Shop',
  }),
  Object.freeze({
    appid: 'wxfedcba0987654321',
    secret: 'demonewssecret000000000000000002',
    name: '演示资讯 Demo News',
  }),
]);

interface Membership {
  readonly subscribe: 0 | 1;
  readonly scene?: SubscribeScene;
  readonly qrScene?: number;
  readonly qrSceneStr?: string;
  readonly remark?: string;
  readonly tags?: number[];
}

interface Person {
  readonly key: string;
  readonly nickname: string;
  readonly sex: 0 | 1 | 2;
  readonly language?: string;
  readonly city?: string;
  readonly province?: string;
  readonly country?: string;
  /** In the shop account. */
  readonly shop?: Membership;
  /** In the news account. */
  readonly news?: Membership;
}

const follow = (scene: SubscribeScene, extra: Omit<Membership, 'subscribe' | 'scene'> = {}): Membership => ({
  subscribe: 1,
  scene,
  ...extra,
});
const NOT_FOLLOWING: Membership = { subscribe: 0 };

const PEOPLE: readonly Person[] = [
  {
    key: 'zhangwei',
    nickname: '张伟',
    sex: 1,
    city: '广州',
    province: '广东',
    country: '中国',
    shop: follow('ADD_SCENE_QR_CODE', { qrScene: 1001, remark: 'VIP', tags: [100] }),
    news: follow('ADD_SCENE_SEARCH'),
  },
  {
    key: 'wangfang',
    nickname: '王芳',
    sex: 2,
    city: '上海',
    province: '上海',
    country: '中国',
    shop: follow('ADD_SCENE_SEARCH'),
    news: NOT_FOLLOWING,
  },
  {
    key: 'lina',
    nickname: '李娜',
    sex: 2,
    city: '北京',
    province: '北京',
    country: '中国',
    shop: follow('ADD_SCENE_PROFILE_CARD'),
    news: follow('ADD_SCENE_ACCOUNT_MIGRATION'),
  },
  {
    key: 'liuyang',
    nickname: '刘洋',
    sex: 1,
    city: '成都',
    province: '四川',
    country: '中国',
    shop: NOT_FOLLOWING,
    news: follow('ADD_SCENE_QR_CODE', { qrSceneStr: 'spring-promo' }),
  },
  {
    key: 'alice',
    nickname: 'Alice Chen',
    sex: 2,
    language: 'en',
    city: 'Singapore',
    country: 'Singapore',
    shop: follow('ADD_SCENE_WECHAT_ADVERTISEMENT'),
    news: follow('ADD_SCENE_PROFILE_LINK'),
  },
  {
    key: 'bob',
    nickname: 'Bob Smith',
    sex: 1,
    language: 'en',
    city: 'London',
    province: 'England',
    country: 'United Kingdom',
    shop: follow('ADD_SCENE_PROFILE_ITEM'),
  },
  {
    key: 'xiaoming',
    nickname: '小明',
    sex: 1,
    city: '杭州',
    province: '浙江',
    country: '中国',
    shop: NOT_FOLLOWING,
    news: follow('ADD_SCENE_SEARCH'),
  },
  {
    key: 'chenjing',
    nickname: '陈静',
    sex: 2,
    city: '深圳',
    province: '广东',
    country: '中国',
    shop: follow('ADD_SCENE_PAID', { tags: [100, 101] }),
  },
  {
    key: 'panda',
    nickname: '🐼 熊猫 Panda',
    sex: 0,
    shop: follow('ADD_SCENE_LIVESTREAM'),
    news: follow('ADD_SCENE_CHANNELS'),
  },
  {
    key: 'zhaolei',
    nickname: '赵磊',
    sex: 1,
    city: '南京',
    province: '江苏',
    country: '中国',
    shop: follow('ADD_SCENE_REPRINT'),
  },
  {
    key: 'emma',
    nickname: 'Emma 王',
    sex: 2,
    language: 'zh_TW',
    city: '台北',
    province: '台湾',
    country: '中国',
    shop: follow('ADD_SCENE_OTHERS'),
    news: NOT_FOLLOWING,
  },
  {
    key: 'sunyue',
    nickname: '孙悦',
    sex: 2,
    city: '武汉',
    province: '湖北',
    country: '中国',
    shop: follow('ADD_SCENE_QR_CODE', { qrScene: 2024 }),
  },
  {
    key: 'zhoujie',
    nickname: '周杰',
    sex: 1,
    city: '重庆',
    province: '重庆',
    country: '中国',
    news: follow('ADD_SCENE_SEARCH'),
  },
  {
    key: 'wumin',
    nickname: '吴敏',
    sex: 2,
    city: '西安',
    province: '陕西',
    country: '中国',
    shop: NOT_FOLLOWING,
  },
  {
    key: 'lucas',
    nickname: 'Lucas Müller',
    sex: 1,
    language: 'en',
    city: 'Berlin',
    province: 'Berlin',
    country: 'Germany',
    shop: follow('ADD_SCENE_SEARCH'),
    news: follow('ADD_SCENE_SEARCH'),
  },
  {
    key: 'zhengshuang',
    nickname: '郑爽',
    sex: 2,
    city: '天津',
    province: '天津',
    country: '中国',
    news: follow('ADD_SCENE_WECHAT_ADVERTISEMENT'),
  },
  {
    key: 'fenghao',
    nickname: '冯浩',
    sex: 1,
    city: '苏州',
    province: '江苏',
    country: '中国',
    shop: follow('ADD_SCENE_ACCOUNT_MIGRATION'),
  },
  {
    key: 'mia',
    nickname: 'Mia 米娅',
    sex: 2,
    language: 'zh_TW',
    city: '香港',
    province: '香港',
    country: '中国',
    shop: follow('ADD_SCENE_PROFILE_LINK'),
    news: NOT_FOLLOWING,
  },
  {
    key: 'huangxiao',
    nickname: '黄晓',
    sex: 1,
    city: '长沙',
    province: '湖南',
    country: '中国',
    news: follow('ADD_SCENE_QR_CODE', { qrScene: 7 }),
  },
  {
    key: 'linxin',
    nickname: '林欣',
    sex: 2,
    city: '厦门',
    province: '福建',
    country: '中国',
    shop: follow('ADD_SCENE_CHANNELS'),
  },
  {
    key: 'heping',
    nickname: '何平',
    sex: 1,
    city: '昆明',
    province: '云南',
    country: '中国',
    shop: NOT_FOLLOWING,
    news: NOT_FOLLOWING,
  },
  {
    key: 'sophie',
    nickname: 'Sophie Martin',
    sex: 2,
    language: 'en',
    city: 'Paris',
    country: 'France',
    news: follow('ADD_SCENE_SEARCH'),
  },
  {
    key: 'machao',
    nickname: '马超',
    sex: 1,
    city: '青岛',
    province: '山东',
    country: '中国',
    shop: follow('ADD_SCENE_SEARCH'),
  },
  {
    key: 'gaoyuan',
    nickname: '高远',
    sex: 1,
    city: '大连',
    province: '辽宁',
    country: '中国',
    shop: follow('ADD_SCENE_QR_CODE', { qrScene: 1001 }),
    news: follow('ADD_SCENE_QR_CODE', { qrScene: 3 }),
  },
  {
    key: 'luolin',
    nickname: '罗琳',
    sex: 2,
    city: '合肥',
    province: '安徽',
    country: '中国',
    news: follow('ADD_SCENE_OTHERS'),
  },
  {
    key: 'kenji',
    nickname: 'Kenji 健二',
    sex: 1,
    language: 'en',
    city: 'Tokyo',
    country: 'Japan',
    shop: follow('ADD_SCENE_WECHAT_ADVERTISEMENT'),
  },
  {
    key: 'liangjing',
    nickname: '梁静',
    sex: 2,
    city: '南宁',
    province: '广西',
    country: '中国',
    shop: follow('ADD_SCENE_PAID'),
    news: follow('ADD_SCENE_PAID'),
  },
  {
    key: 'songyu',
    nickname: '宋雨',
    sex: 2,
    city: '沈阳',
    province: '辽宁',
    country: '中国',
    shop: NOT_FOLLOWING,
  },
  {
    key: 'tangning',
    nickname: '唐宁',
    sex: 1,
    city: '郑州',
    province: '河南',
    country: '中国',
    news: follow('ADD_SCENE_PROFILE_CARD'),
  },
  {
    key: 'xunuo',
    nickname: '许诺',
    sex: 2,
    city: '济南',
    province: '山东',
    country: '中国',
    shop: follow('ADD_SCENE_SEARCH'),
    news: follow('ADD_SCENE_LIVESTREAM'),
  },
];

/** 2024-01-01 00:00 Asia/Shanghai, in epoch seconds: the demo's follows start here. */
const FIRST_FOLLOW = 1_704_038_400;

function demoUser(appid: string, person: Person, membership: Membership, index: number): SimUserInput {
  return {
    openid: seededOpenid(`wxhub-demo-openid:${appid}:${person.key}`),
    unionid: seededOpenid(`wxhub-demo-unionid:${person.key}`),
    nickname: person.nickname,
    sex: person.sex,
    subscribe: membership.subscribe,
    subscribeScene: membership.scene ?? 'ADD_SCENE_SEARCH',
    subscribeTime: FIRST_FOLLOW + index * 9 * 86_400 + index * 3_607,
    language: person.language ?? 'zh_CN',
    remark: membership.remark ?? '',
    tagidList: membership.tags ?? [],
    qrScene: membership.qrScene ?? 0,
    qrSceneStr: membership.qrSceneStr ?? '',
    city: person.city ?? '',
    province: person.province ?? '',
    country: person.country ?? '',
  };
}

function usersOf(appid: string, which: 'shop' | 'news'): SimUserInput[] {
  const users: SimUserInput[] = [];
  PEOPLE.forEach((person, index) => {
    const membership = person[which];
    if (membership) users.push(demoUser(appid, person, membership, index));
  });
  return users;
}

const [SHOP, NEWS] = DEMO_ACCOUNTS;

export const DEMO_FIXTURE: SimFixture = {
  accounts: [
    {
      ...SHOP!,
      unionBound: true,
      oauthDomains: ['127.0.0.1', 'localhost'],
      users: usersOf(SHOP!.appid, 'shop'),
    },
    {
      ...NEWS!,
      unionBound: true,
      oauthDomains: ['127.0.0.1', 'localhost'],
      users: usersOf(NEWS!.appid, 'news'),
    },
  ],
};
