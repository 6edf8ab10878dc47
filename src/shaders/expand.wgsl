// Expansion of packed rows into dense rows of the feature matrix, one invocation per output value.
// A packed row holds the numeric features' values (f32 bits), then one word per categorical column:
// the place in the dense row that the column's category sets, or 0xffffffff for none. For output
// value (r, c) of a dense row of `width`:
//
//   out[r, c] = P[r, c]                                    c < numeric
//   out[r, c] = hot[c]  if P[r, word_of[c]] == c, else 0   otherwise
//
// where P[r, w] = packed[r · words + w], word_of[c] is the packed word that feature c is read from
// and hot[c] is the bits of its value where its category is present (1, or the category's gain).
// Values move as u32 bits, never as floats, so each equals the CPU's to the bit.

override WG: u32 = 256u;

struct Expand {
  rows: u32, width: u32, words: u32, numeric: u32,
  packed_off: u32, out_off: u32,
}

@group(0) @binding(0) var<uniform> q: Expand;
@group(0) @binding(1) var<storage, read> packed: array<u32>;
@group(0) @binding(2) var<storage, read> word_of: array<u32>;
@group(0) @binding(3) var<storage, read> hot: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WG)
fn expand(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lane: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lane;
  if (i >= q.rows * q.width) { return; }
  let r = i / q.width;
  let c = i - r * q.width;
  let row = q.packed_off + r * q.words;
  if (c < q.numeric) {
    out[q.out_off + i] = packed[row + c];
  } else {
    out[q.out_off + i] = select(0u, hot[c], packed[row + word_of[c]] == c);
  }
}
