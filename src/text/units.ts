/**
 * Units of measure that may follow a number. A number and its unit become one canonical term (`42cm`,
 * `1gal`, `1.9cuft`) so that every spelling a catalogue or a shopper uses lands on the same index term.
 * Keys are case-folded; canonical forms are short and ASCII where an ASCII form exists.
 */

export interface UnitDef {
  canonical: string;
  /**
   * Whether the unit may be separated from its number by a space or hyphen (`15 amp`, `1-gal.`).
   * Single letters that are also ordinary words (`a`, `p`) only count when attached (`15a`, `1080p`).
   */
  spaced: boolean;
  /**
   * For `cu`, `sq`, `fl` and their long forms: not a unit alone, only in front of one of these units
   * (`cu. ft.` → `cuft`). Maps the following unit's canonical form to the combined form.
   */
  combines?: Readonly<Record<string, string>>;
}

const CUBIC: Record<string, string> = { ft: 'cuft', in: 'cuin', yd: 'cuyd', m: 'cum', cm: 'cucm' };
const SQUARE: Record<string, string> = {
  ft: 'sqft',
  in: 'sqin',
  yd: 'sqyd',
  m: 'sqm',
  cm: 'sqcm',
  mi: 'sqmi',
};
const FLUID: Record<string, string> = { oz: 'floz' };

function table(): Map<string, UnitDef> {
  const units = new Map<string, UnitDef>();
  const add = (canonical: string, spellings: string[], spaced = true): void => {
    for (const spelling of [canonical, ...spellings]) units.set(spelling, { canonical, spaced });
  };
  // length
  add('mm', ['millimeter', 'millimeters', 'millimetre', 'millimetres']);
  add('cm', ['centimeter', 'centimeters', 'centimetre', 'centimetres']);
  add('m', ['meter', 'meters', 'metre', 'metres']);
  add('km', ['kilometer', 'kilometers', 'kilometre', 'kilometres']);
  add('in', ['inch', 'inches']);
  add('ft', ['feet', 'foot']);
  add('yd', ['yds', 'yard', 'yards']);
  add('mi', ['mile', 'miles']);
  add('mil', ['mils']);
  // volume
  add('gal', ['gals', 'gallon', 'gallons']);
  add('qt', ['qts', 'quart', 'quarts']);
  add('pt', ['pts', 'pint', 'pints']);
  add('oz', ['ounce', 'ounces']);
  add('floz', []);
  add('l', ['liter', 'liters', 'litre', 'litres', 'ltr']);
  add('ml', ['milliliter', 'milliliters', 'millilitre', 'millilitres']);
  add('cc', []);
  add('cuft', []);
  add('sqft', []);
  add('sqin', []);
  // mass
  add('lb', ['lbs', 'pound', 'pounds']);
  add('kg', ['kgs', 'kilogram', 'kilograms', 'kilo', 'kilos']);
  add('g', ['gram', 'grams']);
  add('mg', ['milligram', 'milligrams']);
  add('ton', ['tons']);
  // electrical and power
  add('w', ['watt', 'watts']);
  add('kw', ['kilowatt', 'kilowatts']);
  add('kwh', []);
  add('v', ['volt', 'volts', 'vac', 'vdc']);
  add('a', [], false);
  units.set('amp', { canonical: 'a', spaced: true });
  units.set('amps', { canonical: 'a', spaced: true });
  units.set('ampere', { canonical: 'a', spaced: true });
  units.set('amperes', { canonical: 'a', spaced: true });
  add('mah', []);
  add('ah', []);
  add('hp', []);
  add('btu', ['btus']);
  add('lm', ['lumen', 'lumens']);
  add('k', [], false);
  // data, frequency, resolution
  add('kb', []);
  add('mb', []);
  add('gb', []);
  add('tb', []);
  add('hz', []);
  add('khz', []);
  add('mhz', []);
  add('ghz', []);
  add('p', [], false);
  add('mp', []);
  // rates and ratings common in hardware titles
  add('psi', []);
  add('rpm', []);
  add('cfm', []);
  add('gpm', []);
  add('gpf', []);
  add('awg', []);
  add('db', []);
  add('mph', []);
  add('deg', ['degree', 'degrees']);
  // counts
  add('pk', ['pks', 'pack', 'packs']);
  add('pc', ['pcs', 'piece', 'pieces']);
  add('ct', ['count']);
  add('pair', ['pairs']);
  // prefixes of two-word units
  for (const [spellings, combines] of [
    [['cu', 'cubic'], CUBIC],
    [['sq', 'square'], SQUARE],
    [['fl', 'fluid'], FLUID],
  ] as const) {
    for (const spelling of spellings) units.set(spelling, { canonical: '', spaced: true, combines });
  }
  return units;
}

export const UNITS: ReadonlyMap<string, UnitDef> = table();

/** Longest unit key, to bound the lookahead. */
export const MAX_UNIT_LENGTH = Math.max(...[...UNITS.keys()].map((key) => key.length));

/**
 * Chinese units, in Simplified form (text is folded before lookup). Taiwan spellings (公分, 吋, 公升) map
 * to the metric/imperial canonical forms; 码 (shoe size), 寸 (screen size), 斤 and the counters keep their
 * own character because no other spelling means exactly the same.
 */
const HAN_UNITS: Record<string, string> = {
  厘米: 'cm',
  公分: 'cm',
  毫米: 'mm',
  公厘: 'mm',
  米: 'm',
  公尺: 'm',
  千米: 'km',
  公里: 'km',
  英寸: 'in',
  吋: 'in',
  英尺: 'ft',
  呎: 'ft',
  寸: '寸',
  码: '码',
  千克: 'kg',
  公斤: 'kg',
  克: 'g',
  公克: 'g',
  毫克: 'mg',
  斤: '斤',
  磅: 'lb',
  盎司: 'oz',
  升: 'l',
  公升: 'l',
  毫升: 'ml',
  加仑: 'gal',
  瓦: 'w',
  瓦特: 'w',
  千瓦: 'kw',
  伏: 'v',
  伏特: 'v',
  安培: 'a',
  毫安: 'mah',
  毫安时: 'mah',
  赫兹: 'hz',
  匹: '匹',
  个: '个',
  只: '只',
  件: '件',
  包: '包',
  片: '片',
  双: '双',
  支: '支',
  瓶: '瓶',
  盒: '盒',
  袋: '袋',
  套: '套',
  张: '张',
  条: '条',
  粒: '粒',
  卷: '卷',
  对: '对',
};

const HAN_UNIT_MAP = new Map(Object.entries(HAN_UNITS));
const MAX_HAN_UNIT_LENGTH = Math.max(...Object.keys(HAN_UNITS).map((key) => key.length));
const HAN_UNIT_FIRST = new Set(Object.keys(HAN_UNITS).map((key) => key.charCodeAt(0)));

export interface HanUnitMatch {
  length: number;
  canonical: string;
}

/** Longest Chinese unit starting at `i` in `s`. */
export function matchHanUnit(s: string, i: number): HanUnitMatch | undefined {
  if (!HAN_UNIT_FIRST.has(s.charCodeAt(i))) return undefined;
  for (let length = Math.min(MAX_HAN_UNIT_LENGTH, s.length - i); length >= 1; length--) {
    const canonical = HAN_UNIT_MAP.get(s.slice(i, i + length));
    if (canonical !== undefined) return { length, canonical };
  }
  return undefined;
}
